"""Forms shared by the admin and the web pages. They collect input and show the services' errors on the
fields they belong to; the rules themselves live in the services, so every way in judges alike."""

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Action, Incident, Severity
from .services.actions import action_errors
from .services.incidents import incident_errors

# Links typed without a scheme are taken as https (Django 6's default, opted into now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    return db_field.formfield(**HTTPS_URLS.get(type(db_field), {}), **kwargs)


def add_service_errors(form, errors) -> None:
    """Show a service's field errors on the form (on the form as a whole for fields it does not have)."""
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def add_new_service_errors(form, errors) -> None:
    """The service's errors on fields the form has not already found wrong (one message per field is enough)."""
    add_service_errors(form, {field: messages for field, messages in errors.items() if field not in form.errors})


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

    def clean(self):
        data = super().clean()
        errors = incident_errors(
            title=data.get("title"),
            severity=data.get("severity"),
            department=data.get("department"),
            discovered_at=data.get("discovered_at"),
            occurred_at=data.get("occurred_at"),
            now=timezone.now(),
        )
        add_new_service_errors(self, errors)
        return data


class ActionForm(forms.ModelForm):
    """Recording an action on ``incident``; ``record_action`` records it, this checks the input first."""

    class Meta:
        model = Action
        fields = ["kind", "channel", "published_at", "evidence_url", "evidence_file", "summary"]
        formfield_callback = https_formfield

    def __init__(self, *args, incident=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident

    def incident_of(self, data):
        return self.incident

    def clean(self):
        data = super().clean()
        incident = self.incident_of(data)
        if incident is None:
            return data
        errors = action_errors(
            incident,
            kind=data.get("kind"),
            published_at=data.get("published_at"),
            evidence_url=data.get("evidence_url", ""),
            evidence_file=data.get("evidence_file"),
            summary=data.get("summary", ""),
            now=timezone.now(),
        )
        add_new_service_errors(self, errors)
        return data


def department_filter(departments) -> forms.ModelChoiceField:
    """An optional department to narrow a page to (its sub-departments too, unless the page says otherwise)."""
    return forms.ModelChoiceField(departments, required=False, label=_("department"), empty_label=_("All departments"))


def severity_filter() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("severity"), choices=[("", _("All severities")), *Severity.choices], required=False
    )
