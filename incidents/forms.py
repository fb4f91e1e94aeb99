"""Forms shared by the admin and the web pages. They collect input and show the services' errors on the
fields they belong to; the rules themselves live in the services, so every way in judges alike."""

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from opinion_tracker.lib.forms import add_new_service_errors, https_formfield

from .models import Action, ActionKind, Incident, Severity
from .services.actions import action_errors
from .services.incidents import incident_errors

# The usual answers of the free-text fields, each kept as the Chinese name the ledger records, with its name in
# the page's language beside it.
SOURCE_PLATFORMS = [
    ("微博", _("Weibo")),
    ("微信", _("WeChat")),
    ("抖音", _("Douyin")),
    ("快手", _("Kuaishou")),
    ("今日头条", _("Toutiao")),
    ("小红书", _("Xiaohongshu")),
    ("B站", _("Bilibili")),
    ("百度贴吧", _("Baidu Tieba")),
    ("知乎", _("Zhihu")),
    ("人民网留言板", _("People's Daily Online message board")),
    ("12345热线", _("12345 hotline")),
    ("新闻媒体", _("News media")),
    ("其他", _("Other")),
]
CHANNELS = [
    ("政府网站", _("Government website")),
    ("政务微博", _("Government Weibo account")),
    ("政务微信", _("Government WeChat account")),
    ("政务客户端", _("Government app")),
    ("政务抖音", _("Government Douyin account")),
    ("新闻发布会", _("Press conference")),
    ("广播电视", _("Radio and television")),
    ("报刊", _("Newspapers")),
]


class SuggestingInput(forms.TextInput):
    """Free text with a picklist (``<datalist>``) of the usual answers: the common ones are a tap away, and
    anything else can still be typed, since the field records whatever the person actually saw."""

    def __init__(self, suggestions, attrs=None):
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id', name)}_suggestions"
        field = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", "{}", ((suggestion(*pair),) for pair in self.suggestions))
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


def suggestion(value: str, label) -> str:
    """One option; its label only where it says more than the value (in English, not in Chinese)."""
    if str(label) == value:
        return format_html('<option value="{}">', value)
    return format_html('<option value="{}" label="{}">', value, label)


def suggest(form: forms.BaseForm, name: str, suggestions) -> None:
    """Give a text field the picklist, keeping the attributes (``maxlength``, the admin's class) it has.

    Like ``start_at_now``, it passes over a field the form lacks: the admin shows recorded fields read-only."""
    if name in form.fields:
        field = form.fields[name]
        field.widget = SuggestingInput(suggestions, attrs=field.widget.attrs)


def start_at_now(form: forms.BaseForm, name: str) -> None:
    """A new record's time starts at now (the widget shows it in Beijing time), to be corrected if need be."""
    if name in form.fields:
        form.fields[name].initial = timezone.now


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RegradeForm(ReasonForm):
    severity = forms.ChoiceField(label=_("new severity"), choices=Severity.choices)
    field_order = ["severity", "reason"]


class IncidentForm(forms.ModelForm):
    """Logging an incident; ``log_incident`` does the logging, this checks the input the same way first."""

    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "severity",
            "department",
            "discovered_at",
            "occurred_at",
            "source_platform",
            "source_url",
        ]
        formfield_callback = https_formfield

    def __init__(self, *args, **kwargs):
        """A new incident was most likely just discovered: the time starts at now, to be corrected if not."""
        super().__init__(*args, **kwargs)
        start_at_now(self, "discovered_at")
        suggest(self, "source_platform", SOURCE_PLATFORMS)

    def clean(self):
        data = super().clean()
        errors = incident_errors(data, timezone.now())
        add_new_service_errors(self, errors)
        return data


class ActionForm(forms.ModelForm):
    """Recording an action on ``incident``; ``record_action`` records it, this checks the input first."""

    class Meta:
        model = Action
        fields = ["kind", "channel", "published_at", "evidence_url", "evidence_file", "summary"]
        formfield_callback = https_formfield

    def __init__(self, *args, incident=None, **kwargs):
        """An action is usually recorded as it goes out: its publication time starts at now."""
        super().__init__(*args, **kwargs)
        self.incident = incident
        start_at_now(self, "published_at")
        suggest(self, "channel", CHANNELS)
        # A rectification report names the interview it answers: it has a form of its own on the incident page.
        # (The admin's change form shows the kind read-only: no field to narrow.)
        kind = self.fields.get("kind")
        if kind is not None:
            kind.choices = [choice for choice in kind.choices if choice[0] != ActionKind.RECTIFICATION_REPORT]

    def incident_of(self, data):
        return self.incident

    def clean(self):
        data = super().clean()
        incident = self.incident_of(data)
        if incident is None:
            return data
        errors = action_errors(incident, data, timezone.now())
        add_new_service_errors(self, errors)
        return data


def department_filter(departments) -> forms.ModelChoiceField:
    """An optional department to narrow a page to (its sub-departments too, unless the page says otherwise)."""
    return forms.ModelChoiceField(departments, required=False, label=_("department"), empty_label=_("All departments"))


def severity_filter() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("severity"), choices=[("", _("All severities")), *Severity.choices], required=False
    )
