"""JSON bodies, refused with a 400 when nested deeper than any endpoint reads.

Python's decoder recurses once per level, so a body of a few kilobytes (``[[[[…]]]]``) exhausts the
stack and raises ``RecursionError``, which DRF does not expect from a parser: a 500. A body just
shallow enough to decode is no better: its values reach fields and lookups that recurse over them
in turn (a related field's ``get(pk=…)`` with a 900-deep list). No endpoint takes more than three
levels (an object of lists of objects), so anything deeper than ``MAX_DEPTH`` is refused here,
before any view sees it, with the same message either way.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class TrackerJSONParser(JSONParser):
    """DRF's JSON parser, with bodies nested deeper than ``MAX_DEPTH`` levels answered 400."""

    too_deep = _("The JSON body is nested too deeply.")

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self.too_deep) from None
        if nested_deeper_than(data, MAX_DEPTH):
            raise ParseError(self.too_deep)
        return data


def nested_deeper_than(data, limit: int) -> bool:
    """Whether ``data`` has objects or arrays more than ``limit`` levels deep (walked without recursing)."""
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        todo.extend((child, depth + 1) for child in children)
    return False
