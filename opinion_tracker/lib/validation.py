"""Input rules shared by every way in (admin, API, web forms), so each gives the same clear errors."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# docs/api.md: any past time is accepted, a time more than five minutes in the future is not. A time before
# 1990 is a typing error rather than a ledger being back-filled.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LARGEST_ID = 2**63 - 1  # the largest id a database column holds; SQLite overflows past it


class Errors(dict):
    """Field → messages, raised together as one ``ValidationError`` so a form shows them all at once."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def check_not_future(errors: Errors, field: str, value, now) -> None:
    if value is not None and value > now + FUTURE_TOLERANCE:
        errors.add(field, _("This time is in the future; times may be at most 5 minutes ahead of now."))
    elif value is not None and value < EARLIEST:
        errors.add(field, _("This time is before 1990; please check the year."))


def check_choice(errors: Errors, field: str, value, choices) -> None:
    if value not in choices.values:
        errors.add(field, _("“%(value)s” is not a valid choice.") % {"value": value})


def check_required(errors: Errors, field: str, value) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field, _("This field is required."))


def check_lengths(errors: Errors, model, **values) -> None:
    """Text longer than its column holds is refused with the limit, never left to the database."""
    for field, value in values.items():
        limit = model._meta.get_field(field).max_length
        if isinstance(value, str) and limit is not None and len(value) > limit:
            errors.add(
                field,
                _("At most %(limit)d characters (this has %(length)d).") % {"limit": limit, "length": len(value)},
            )
