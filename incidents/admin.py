"""The Django admin, in Chinese by default, for administrators who configure the tracker.

Incidents and actions are created through the same services as everywhere else, so the admin
computes deadlines and writes the timeline exactly as the API and the web interface do.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from opinion_tracker.lib.admin import ReadOnlyAdmin, ReadOnlyInline, TrackerAdmin, masked, service_form_view

from .admin_timeline import beijing_text, detail_lines
from .api.organisation import review_gates_error
from .forms import ActionForm, IncidentForm, ReasonForm, RegradeForm
from .models import (
    Action,
    CalendarDay,
    CalendarYear,
    Department,
    Incident,
    Obligation,
    ObligationPolicy,
    Person,
    ReviewGate,
    TimelineEvent,
    WorkingHours,
)
from .services.actions import record_action
from .services.incidents import close, edit_details, log_incident, regrade
from .services.obligations import waive
from .services.schedule import recompute_provisional_deadlines

admin.site.site_header = admin.site.site_title = format_lazy(
    "{} · {}", _("Public opinion response tracker"), _("Administration")
)
admin.site.index_title = _("Administration")


@admin.register(Department)
class DepartmentAdmin(TrackerAdmin):
    list_display = ["name", "code", "parent", "is_government", "principal_leader", "responsible_leader"]
    list_filter = ["is_government"]
    search_fields = ["name", "code"]
    autocomplete_fields = [
        "parent",
        "principal_leader",
        "responsible_leader",
        "supervising_office",
        "publicity_department",
    ]


class ReviewGatesForm(forms.ModelForm):
    """A person's review gates as checkboxes, kept in the gates' order, and only beside the reviewer role
    (the groups on the same form), as the API asks."""

    review_gates = forms.MultipleChoiceField(
        label=_("review gates"),
        choices=ReviewGate.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Person._meta.get_field("review_gates").help_text,
    )

    def clean_review_gates(self):
        chosen = self.cleaned_data["review_gates"]
        return [gate for gate in ReviewGate.values if gate in chosen]

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        roles = [group.name for group in groups] if groups is not None else self.instance.roles
        message = review_gates_error(cleaned.get("review_gates"), roles)
        if message:
            self.add_error("review_gates", message)
        return cleaned


class PersonChangeForm(ReviewGatesForm, UserChangeForm):
    pass


class PersonCreationForm(ReviewGatesForm, AdminUserCreationForm):
    pass


@admin.register(Person)
class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = ["username", "display_name", "department", "phone", "email", "role_names", "is_active"]
    list_filter = ["groups", "department", "is_active"]
    search_fields = ["username", "display_name", "phone", "email", "dingtalk_userid", "wecom_userid", "feishu_user_id"]
    autocomplete_fields = ["department"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Work"), {"fields": ["display_name", "department", "phone", "review_gates"]}),
        (_("Work apps"), {"fields": ["dingtalk_userid", "wecom_userid", "feishu_user_id"]}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Work"), {"fields": ["display_name", "department", "phone", "email", "groups", "review_gates"]}),
        (_("Work apps"), {"fields": ["dingtalk_userid", "wecom_userid", "feishu_user_id"]}),
    )

    @admin.display(description=_("roles"))
    def role_names(self, person):
        return "、".join(person.roles)


class ObligationInline(ReadOnlyInline):
    model = Obligation
    fields = ["kind", "clock_started_at", "due_at", "provisional", "state", "met_at", "met_by", "waived_reason"]
    readonly_fields = fields
    fk_name = "incident"


@admin.display(description=_("evidence file"))
def evidence_link(action):
    """Evidence is served only through the API, which checks who may read the incident; never from /media/."""
    if not action.evidence_file:
        return "-"
    return format_html(
        '<a href="{}">{}</a>', reverse("api:action-evidence", args=[action.pk]), action.evidence_file.name
    )


class ActionInline(ReadOnlyInline):
    model = Action
    fields = ["kind", "channel", "published_at", "evidence_url", evidence_link, "summary", "recorded_by"]
    readonly_fields = fields


@admin.display(description=_("at (Beijing time)"), ordering="at")
def event_time(event):
    return beijing_text(event.at)


@admin.display(description=_("detail"))
def event_detail(event):
    return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in detail_lines(event.detail)))


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = [event_time, "kind", "actor", event_detail]
    readonly_fields = fields
    show_change_link = False


@admin.register(Incident)
class IncidentAdmin(TrackerAdmin):
    list_display = ["title", "severity", "department", "state", "discovered_at", "logged_at"]
    list_filter = ["state", "severity", "department"]
    search_fields = ["title", "summary"]
    date_hierarchy = "discovered_at"
    autocomplete_fields = ["department"]
    inlines = [ObligationInline, ActionInline, TimelineInline]
    locked_after_logging = [
        "severity",
        "department",
        "discovered_at",
        "occurred_at",
        "logged_at",
        "logged_by",
        "state",
        "closed_at",
        "close_reason",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = IncidentForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.locked_after_logging if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            changes = {field: form.cleaned_data[field] for field in form.changed_data}
            if changes:
                edit_details(Incident.objects.get(pk=obj.pk), changes=changes, actor=request.user, now=timezone.now())
            return
        incident = log_incident(actor=request.user, now=timezone.now(), **form.cleaned_data)
        obj.pk = incident.pk
        obj._state.adding = False

    def get_urls(self):
        return [
            path("<int:pk>/regrade/", self.admin_site.admin_view(self.regrade_view), name="incidents_incident_regrade"),
            path("<int:pk>/close/", self.admin_site.admin_view(self.close_view), name="incidents_incident_close"),
            *super().get_urls(),
        ]

    def regrade_view(self, request, pk):
        return self.incident_service_view(request, pk, _("Regrade"), RegradeForm, regrade)

    def close_view(self, request, pk):
        return self.incident_service_view(request, pk, pgettext_lazy("incident", "Close"), ReasonForm, close)

    def incident_service_view(self, request, pk, title, form_class, service):
        incident = get_object_or_404(Incident, pk=pk)
        return service_form_view(
            request,
            title=title,
            subject=incident,
            back_url=reverse("admin:incidents_incident_change", args=[pk]),
            form_class=form_class,
            apply=lambda **data: service(incident, actor=request.user, now=timezone.now(), **data),
        )


class ActionAddForm(ActionForm):
    """The admin picks the incident on the form; the web page has it from the URL."""

    class Meta(ActionForm.Meta):
        fields = ["incident", *ActionForm.Meta.fields]

    def incident_of(self, data):
        return data.get("incident")


@admin.register(Action)
class ActionAdmin(TrackerAdmin):
    list_display = ["incident", "kind", "channel", "published_at", "recorded_by", "recorded_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["incident__title", "summary"]
    autocomplete_fields = ["incident"]
    form = ActionAddForm

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else ActionAddForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        shown = [evidence_link if field == "evidence_file" else field for field in ActionAddForm.Meta.fields]
        return [*shown, "text", "text_sha256", "recorded_by", "recorded_at"] if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def save_model(self, request, obj, form, change):
        data = dict(form.cleaned_data)
        action = record_action(data.pop("incident"), actor=request.user, now=timezone.now(), **data)
        obj.pk = action.pk
        obj._state.adding = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "due_at", "provisional", "state", "met_at", "waived_reason"]
    list_filter = ["state", "kind", "provisional"]
    search_fields = ["incident__title"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.waive_view)
        return [path("<int:pk>/waive/", view, name="incidents_obligation_waive"), *super().get_urls()]

    def waive_view(self, request, pk):
        obligation = get_object_or_404(Obligation.objects.select_related("incident"), pk=pk)
        return service_form_view(
            request,
            title=_("Waive"),
            subject=obligation,
            back_url=reverse("admin:incidents_obligation_change", args=[pk]),
            form_class=ReasonForm,
            apply=lambda **data: waive(obligation, approver=request.user, now=timezone.now(), **data),
        )


@admin.register(ObligationPolicy)
class ObligationPolicyAdmin(TrackerAdmin):
    list_display = ["government", "severity", "kind", "clock", "offset", "offset_working_days"]
    list_filter = ["government", "severity", "kind"]
    autocomplete_fields = ["government"]


class CalendarDayFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data.get("date") and not f.cleaned_data.get("DELETE")]
        for day_form in kept:
            if self.instance.year and day_form.cleaned_data["date"].year != self.instance.year:
                day_form.add_error("date", _("Every date must be in %(year)s.") % {"year": self.instance.year})
        if not any(f.cleaned_data.get("kind") == CalendarDay.Kind.HOLIDAY for f in kept):
            raise ValidationError(_("A year's official schedule lists its holidays."))


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    extra = 3
    fields = ["date", "kind", "name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(TrackerAdmin):
    list_display = ["year", "source", "loaded_at", "note"]
    inlines = [CalendarDayInline]

    def get_readonly_fields(self, request, obj=None):
        return ["year"] if obj else []

    def has_delete_permission(self, request, obj=None):
        # Deadlines were computed on this schedule: correct it, never remove it.
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        recompute_provisional_deadlines(timezone.now(), request.user)


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = [event_time, "incident", "kind", "actor", event_detail]
    fields = [event_time, "incident", "kind", "actor", "obligation", event_detail]
    readonly_fields = fields
    list_filter = ["kind"]
    search_fields = ["incident__title"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(TrackerAdmin):
    """When working-day obligations (the verification report) may escalate, per government."""

    list_display = ["__str__", "government", "start", "end"]


# The admin names an object by str() on its change, deletion and history pages, in its messages and in
# its log of changes; DRF's token proxy, which serves nothing but this admin, is named by its whole key.
TokenProxy.__str__ = lambda token: masked(token.key)
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    """API tokens, to revoke one by deleting it; each shown only masked (people get theirs from the API)."""

    list_display = ["__str__", "user", "created"]
