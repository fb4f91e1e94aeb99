"""The small JSON feeds pages poll to update themselves (the duty board, 我的督办): what they ask after, and
how they refuse a bad question."""

from django.http import JsonResponse

from .validation import LARGEST_ID


def feed_after(params) -> int | None:
    """The ``after`` of a feed's query: a whole number of 0 or more in ASCII digits (an id), or None when it is
    not one (full-width digits, a sign, a number no column holds)."""
    value = params.get("after", "")
    if not (value.isascii() and value.isdigit()) or len(value) > 19 or int(value) > LARGEST_ID:
        return None
    return int(value)


def bad_after() -> JsonResponse:
    return JsonResponse({"error": "after: a whole number of 0 or more is expected"}, status=400)
