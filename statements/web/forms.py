"""The drafting pages' forms. They only collect what was typed: the statements services decide, and their
errors come back on these fields (``add_service_errors``), so the page and the API judge alike.

A browser sends a textarea's line breaks as CRLF (HTML's rule); a statement's text is kept and hashed with
LF line breaks, as the API takes it, so a text pasted back into "check a text" matches what was approved.
"""

import re
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from incidents.forms import CHANNELS
from opinion_tracker.lib.forms import IdChoiceField

from ..models import Draft

# Channels typed by hand: separated by commas (full or half width), 、, semicolons or line breaks.
CHANNEL_SEPARATORS = re.compile(r"[,，、;；\r\n]+")


class StatementText(forms.CharField):
    """A statement's text, its line breaks as LF; empty or too long is left to the service to refuse, in its words."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n").replace("\r", "\n")


class NewDraftForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Draft.Kind.choices, initial=Draft.Kind.STATEMENT)
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=CHANNELS, required=False, widget=forms.CheckboxSelectMultiple
    )
    other_channels = forms.CharField(
        label=_("other channels"),
        required=False,
        help_text=_("Any others, separated by commas or 、."),
    )
    template = IdChoiceField(
        queryset=None,
        label=_("holding-statement template"),
        required=False,
        help_text=_("Choose one and leave the text empty (or press “Fill in from the template”) to start from it."),
    )
    text = StatementText(label=_("text"))

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates.order_by("government_id", "name", "pk")

    def clean(self):
        """The channels ticked and typed, each once, in that order, as the service takes them."""
        data = super().clean()
        typed = [name.strip() for name in CHANNEL_SEPARATORS.split(data.pop("other_channels", "") or "")]
        data["channels"] = list(dict.fromkeys([*data.get("channels", []), *(name for name in typed if name)]))
        return data


class VersionForm(forms.Form):
    text = StatementText(label=_("new version"))


class SeenForm(forms.Form):
    """A decision on the version the person read: the services refuse it once a newer version replaced it."""

    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)


class GateForm(SeenForm):
    """Approve or return one gate; the button pressed is the decision."""

    comment = forms.CharField(
        label=_("comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when returning: say what to change."),
    )
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", pgettext_lazy("gate", "Approve")), ("return", pgettext_lazy("gate", "Return"))],
        widget=forms.HiddenInput,
    )


class SignOffForm(SeenForm):
    acknowledge_flags = forms.BooleanField(label=_("I have read the flagged phrases and their reasons"), required=False)


class SecondInput(forms.DateTimeInput):
    """A Beijing time to the second, with the browser's picker: a statement goes out after its sign-off, often
    within the same minute, and a time cut to the minute would read as before it."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": 1, **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


def next_second():
    """Now, rounded up to the second the field shows: "just now" never reads as before a sign-off made this second."""
    now = timezone.now()
    return now.replace(microsecond=0) + timedelta(seconds=1) if now.microsecond else now


class PublishForm(SeenForm):
    channel = forms.ChoiceField(label=_("channel"))
    published_at = forms.DateTimeField(label=_("published at"), widget=SecondInput(), initial=next_second)
    evidence_url = forms.URLField(label=_("evidence URL"), required=False, assume_scheme="https", max_length=500)
    evidence_file = forms.FileField(label=_("evidence file"), required=False)

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(channel, channel) for channel in channels]


class CheckTextForm(forms.Form):
    """A text as it went out, checked to the character against the signed-off version (nothing trimmed)."""

    text = StatementText(label=_("the text as published"), strip=False, required=True)


class CompareForm(forms.Form):
    """Which two versions the page puts side by side (``?old=1&new=3``)."""

    old = forms.TypedChoiceField(label=_("compare version"), coerce=int)
    new = forms.TypedChoiceField(label=_("with version"), coerce=int)

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(number, gettext("version %(number)s") % {"number": number}) for number in numbers]
        self.fields["old"].choices = self.fields["new"].choices = choices
