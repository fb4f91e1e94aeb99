"""The web pages' versions of the shared forms: dates and times typed in the browser's own pickers."""

from django import forms

from incidents.forms import ActionForm, IncidentForm


class DateInput(forms.DateInput):
    """A date, with the browser's picker, which shows a value only when it is written ISO-style (2026-03-10)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MomentInput(forms.DateTimeInput):
    """A Beijing date and time to the minute (the page's time zone), with the browser's picker."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class LogIncidentForm(IncidentForm):
    class Meta(IncidentForm.Meta):
        widgets = {"discovered_at": MomentInput(), "occurred_at": MomentInput()}

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if len(departments) == 1:  # a duty officer of one department need not pick it
            self.fields["department"].initial = departments[0]


class RecordActionForm(ActionForm):
    class Meta(ActionForm.Meta):
        widgets = {"published_at": MomentInput(), "summary": forms.Textarea(attrs={"rows": 3})}
