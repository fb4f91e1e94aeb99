"""Durations in the admin as people write them: "-1:00" or "提前1小时" for an hour before a deadline.

Django shows a timedelta of minus one hour as "-1 23:00:00" (minus one day plus 23 hours), which nobody
reads as "an hour before". This field shows every duration as signed hours and minutes ("-1:00",
"+4:00", "0:00") and takes that form back, with seconds if wanted, or the Chinese words for it.
"""

import re
import unicodedata
from datetime import timedelta

from django import forms
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# A sign or its words, then hours:minutes[:seconds] or amounts of days, hours, minutes and seconds. Six
# digits at most, so no amount overflows what the database stores.
SIGN = r"(?P<sign>[+-]|提前|之后|到期后)?"
FORMS = [
    re.compile(SIGN + r"(?P<hours>\d{1,6}):(?P<minutes>[0-5]?\d)(?::(?P<seconds>[0-5]?\d))?", re.ASCII),
    re.compile(
        SIGN + r"(?:(?P<days>\d{1,6})天)?(?:(?P<hours>\d{1,6})个?小时)?(?:(?P<minutes>\d{1,6})分钟?)?"
        r"(?:(?P<seconds>\d{1,6})秒)?",
        re.ASCII,
    ),
]
NEGATIVE = {"-", "提前"}
ZERO = {"0", "到期时"}
ACCEPTED = _(
    "Write hours:minutes with a sign, minus for before the deadline: -1:00 (an hour before), -0:30, +2:00, "
    "0:00 (at the deadline); seconds may follow, e.g. -1:00:00. Chinese words work too: 提前1小时, 之后2小时, "
    "1小时30分, 30分钟, 到期时 (units 天, 小时, 分钟 or 分, 秒)."
)


def signed_hours(delta: timedelta) -> str:
    """Signed hours and minutes: "-1:00", "+4:00", "0:00"; hours pass 24 ("+48:00"), seconds show if any."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+" if seconds > 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def parse_duration_text(text: str) -> timedelta | None:
    """The duration ``text`` says, or None when it is not one of the accepted forms."""
    # Full-width digits, colon and signs, as an input method may type them, count as their ASCII forms.
    text = unicodedata.normalize("NFKC", "".join(text.split())).replace("−", "-")
    if text in ZERO:
        return timedelta(0)
    for form in FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        amounts = {unit: int(amount) for unit, amount in match.groupdict().items() if amount and unit != "sign"}
        if amounts:
            delta = timedelta(**amounts)
            return -delta if match["sign"] in NEGATIVE else delta
    return None


class SpokenDurationField(forms.DurationField):
    """A DurationField that shows signed hours and minutes and reads them, or Chinese words, back."""

    default_error_messages = {
        "invalid": _("Write the duration like -1:00 or +2:30 (hours:minutes, minus for before the deadline)."),
    }

    def __init__(self, *, help_text="", **kwargs):
        # The model's own help says what the field means; the accepted forms follow it.
        super().__init__(help_text=format_lazy("{} {}", help_text, ACCEPTED) if help_text else ACCEPTED, **kwargs)

    def prepare_value(self, value):
        return signed_hours(value) if isinstance(value, timedelta) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        delta = parse_duration_text(str(value))
        if delta is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return delta


# For ``formfield_overrides`` of every admin class.
SPOKEN_DURATIONS = {models.DurationField: {"form_class": SpokenDurationField}}
