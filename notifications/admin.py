"""Administrators set the escalation ladders here; notifications and their attempts are a read-only record, and so
are drills, started from a robot's or an app's page ("Send a test message"), from the drills' "New drill" page or
through the API."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from incidents.access import caller_of
from incidents.models import Person, Role
from opinion_tracker.lib.admin import (
    FORMFIELD_OVERRIDES,
    ReadOnlyAdmin,
    ReadOnlyInline,
    TrackerAdmin,
    masked,
    service_form_view,
)
from opinion_tracker.lib.forms import IdChoicesField

from .channels import CHANNELS
from .drills import DRILLABLE, MAX_PEOPLE, run_drill
from .models import (
    Audience,
    ChannelKind,
    ContactPreference,
    DeliveryAttempt,
    Drill,
    DrillResult,
    DutyShift,
    EnforcementRun,
    EscalationPlan,
    EscalationPolicy,
    EscalationStep,
    Notification,
    Robot,
    WorkApp,
)
from .roster import COLUMN_HELP, COLUMNS, coverage, import_roster, shift_length_problem
from .steps import step_label

COVERAGE_DAYS = 14


class CredentialsForm(forms.ModelForm):
    """Token and secret are never shown back: the fields start empty, with the last four characters as a
    hint, and an empty field keeps what is stored."""

    credential_fields = ("token", "secret")

    class Meta:
        model = Robot
        fields = ["department", "provider", "name", "token", "secret", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.credential_fields:
            if name not in self.fields:
                continue
            stored = getattr(self.instance, name)
            field = self.fields[name]
            field.widget = forms.PasswordInput(attrs={"placeholder": masked(stored), "autocomplete": "off"})
            if stored:
                field.required = False
                field.help_text = _("Stored (%(hint)s); leave empty to keep it.") % {"hint": masked(stored)}

    def clean(self):
        cleaned = super().clean()
        for name in self.credential_fields:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned

    @cached_property
    def changed_data(self):
        """A credential left empty is kept, not changed: the admin's history must not say it was."""
        kept = {
            name for name in self.credential_fields if self.instance.pk and not self.data.get(self.add_prefix(name))
        }
        return [name for name in super().changed_data if name not in kept]


def drill_page_or(admin_site, request, drill, elsewhere: str) -> str:
    """The drill's page for those who may view drills; ``elsewhere`` for the others, whom that page would refuse."""
    if admin_site.get_model_admin(Drill).has_view_permission(request, drill):
        return reverse("admin:notifications_drill_change", args=[drill.pk])
    return elsewhere


class DrillButton:
    """A "Send a test message" button on the change page (its template's object tools): a POST, under the change
    permission and CSRF, that drills this object alone and opens the drill's page with what it met (the object's
    own page, with the same message, for staff who may not view drills)."""

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_drill"
        view = self.admin_site.admin_view(require_POST(self.drill_view))
        return [path("<int:pk>/drill/", view, name=name), *super().get_urls()]

    def drill_view(self, request, pk):
        target = get_object_or_404(self.model, pk=pk)
        if not self.has_change_permission(request, target):
            raise PermissionDenied
        drill = self.drill(request, target)
        results = list(drill.results.all())
        unsent = [result for result in results if result.status != DrillResult.Status.SENT]
        problems = [f"{result.target}: {result.error}" for result in unsent]
        if problems:
            messages.error(request, _("The test did not get through: %(problems)s") % {"problems": "; ".join(problems)})
        else:
            messages.success(request, self.got_through(request, target, results))
        opts = self.model._meta
        change_page = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[target.pk])
        return redirect(drill_page_or(self.admin_site, request, drill, change_page))

    def drill(self, request, target) -> Drill:
        raise NotImplementedError

    def got_through(self, request, target, results) -> str:
        """What the page says when every send of the drill got through."""
        sent = "; ".join(result.target for result in results)
        return _("The test message got through: %(targets)s.") % {"targets": sent}


@admin.register(Robot)
class RobotAdmin(DrillButton, TrackerAdmin):
    form = CredentialsForm
    list_display = ["department", "provider", "name", "token_hint", "enabled"]
    list_filter = ["provider", "enabled"]

    def get_fields(self, request, obj=None):
        """Staff who may only view a robot see the hint, never the stored credentials as read-only text."""
        if obj is not None and not self.has_change_permission(request, obj):
            return ["department", "provider", "name", "token_hint", "enabled"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        return super().get_readonly_fields(request, obj)

    @admin.display(description=_("access token or key"))
    def token_hint(self, robot):
        return masked(robot.token)

    def drill(self, request, robot) -> Drill:
        """One message to the robot's group."""
        return run_drill([], [], request.user, timezone.now(), robot=robot)


class WorkAppForm(CredentialsForm):
    credential_fields = ("secret",)
    base_url = forms.URLField(
        label=WorkApp._meta.get_field("base_url").verbose_name,
        help_text=WorkApp._meta.get_field("base_url").help_text,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = WorkApp
        fields = ["provider", "name", "department", "app_key", "secret", "agent_id", "base_url", "enabled"]


CREDENTIALS_ONLY = _(
    "The credentials of %(app)s are valid. No test message was sent: you have no %(provider)s user ID to send it to."
)


@admin.register(WorkApp)
class WorkAppAdmin(DrillButton, TrackerAdmin):
    form = WorkAppForm
    list_display = ["__str__", "provider", "department", "app_key", "agent_id", "enabled"]
    list_filter = ["provider", "enabled"]
    autocomplete_fields = ["department"]

    def get_fields(self, request, obj=None):
        """Staff who may only view an app never see its secret, even as read-only text."""
        if obj is not None and not self.has_change_permission(request, obj):
            return ["provider", "name", "department", "app_key", "agent_id", "base_url", "enabled"]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        return super().get_readonly_fields(request, obj)

    def drill(self, request, app) -> Drill:
        """The app's credentials, and a message through it to the administrator when they have a user id there."""
        people = [request.user] if self.reaches_administrator(request, app) else []
        return run_drill([], people, request.user, timezone.now(), app=app)

    def got_through(self, request, app, results) -> str:
        """Without a user id on the platform only the credentials were checked: nothing was delivered to anyone."""
        if self.reaches_administrator(request, app):
            return super().got_through(request, app, results)
        provider = CHANNELS[app.channel].provider_label
        return CREDENTIALS_ONLY % {"app": app, "provider": provider}

    @staticmethod
    def reaches_administrator(request, app) -> bool:
        return bool(CHANNELS[app.channel].user_id(request.user))


class ChannelOrderForm(forms.ModelForm):
    channel_order = forms.CharField(
        label=_("preferred order of channels"),
        help_text=_(
            "Channel codes, most preferred first, separated by commas: in_app, dingtalk_work, wecom_app, "
            "feishu_app, robot, email, sms, webhook."
        ),
    )

    class Meta:
        model = ContactPreference
        fields = ["person", "channel_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("channel_order"), list):
            self.initial["channel_order"] = ", ".join(self.initial["channel_order"])

    def clean_channel_order(self):
        order = [code.strip() for code in self.cleaned_data["channel_order"].split(",") if code.strip()]
        unknown = [code for code in order if code not in ChannelKind.values]
        if unknown:
            raise forms.ValidationError(_("Unknown channels: %(codes)s.") % {"codes": ", ".join(unknown)})
        if len(set(order)) != len(order):
            raise forms.ValidationError(_("Each channel may appear once."))
        return order


@admin.register(ContactPreference)
class ContactPreferenceAdmin(TrackerAdmin):
    form = ChannelOrderForm
    list_display = ["person", "channel_order"]
    autocomplete_fields = ["person"]


class EscalationStepForm(forms.ModelForm):
    audiences = forms.MultipleChoiceField(
        label=_("who is told"), choices=Audience.choices, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=ChannelKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = EscalationStep
        fields = [
            "code",
            "offset",
            "window_fraction",
            "short_window",
            "short_window_offset",
            "audiences",
            "channels",
        ]


class EscalationStepInline(admin.StackedInline):
    formfield_overrides = FORMFIELD_OVERRIDES
    model = EscalationStep
    form = EscalationStepForm
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(TrackerAdmin):
    """Changes apply to obligations the passes have not seen yet; running escalations keep their copy."""

    list_display = ["__str__", "government", "severity", "repeat_every"]
    list_filter = ["severity", ("government", admin.EmptyFieldListFilter)]
    inlines = [EscalationStepInline]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "finished_at", "outcome", "provider_answer", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "incident",
        "step_in_words",
        "recipient",
        "channel",
        "status",
        "error",
        "attempts",
        "acknowledged_at",
    ]
    list_filter = ["status", "channel"]
    list_select_related = ["incident", "recipient"]
    search_fields = ["incident__title", "recipient__username", "recipient__display_name"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]

    @admin.display(description=_("step"), ordering="step")
    def step_in_words(self, notification) -> str:
        return step_label(notification.step)


@admin.register(EscalationPlan)
class EscalationPlanAdmin(ReadOnlyAdmin):
    list_display = ["obligation", "policy", "frozen_at", "repeats_fired"]
    list_select_related = ["obligation__incident", "policy__government"]


@admin.register(EnforcementRun)
class EnforcementRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_summary"]


class RosterFileForm(forms.Form):
    file = forms.FileField(
        label=_("roster file"),
        help_text=_("CSV or XLSX, one shift per row, under a first row of the headings below."),
    )


class DutyShiftForm(forms.ModelForm):
    """Times the roster import would refuse are refused here in its words, on the end time, rather than by
    the name of the database constraint behind them."""

    class Meta:
        model = DutyShift
        fields = ["department", "person", "post", "starts_at", "ends_at"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_at") and cleaned.get("ends_at"):
            problem = shift_length_problem(cleaned["starts_at"], cleaned["ends_at"])
            if problem:
                self.add_error("ends_at", problem)
        return cleaned


@admin.register(DutyShift)
class DutyShiftAdmin(TrackerAdmin):
    """The roster; an import page (all rows or none) and the gaps in coverage over the coming 14 days."""

    form = DutyShiftForm
    list_display = ["department", "post", "person", "starts_at", "ends_at"]
    list_filter = ["post", "department"]
    list_select_related = ["department", "person"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["person"]
    change_list_template = "admin/notifications/dutyshift/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="notifications_dutyshift_import"),
            path("gaps/", self.admin_site.admin_view(self.gaps_view), name="notifications_dutyshift_gaps"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied

        def apply(file):
            imported = import_roster(file.name, file.read())
            messages.info(request, _("%(count)d shifts imported.") % {"count": len(imported)})

        return service_form_view(
            request,
            title=_("Import a roster"),
            subject=self.model._meta.verbose_name_plural,
            back_url=reverse("admin:notifications_dutyshift_changelist"),
            form_class=RosterFileForm,
            apply=apply,
            template="admin/notifications/dutyshift/import.html",
            columns=[(COLUMNS[key][0], meaning, example) for key, (meaning, example) in COLUMN_HELP.items()],
        )

    def gaps_view(self, request):
        start = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Gaps in duty coverage over the coming %(days)d days") % {"days": COVERAGE_DAYS},
            "rows": coverage(start, start + timedelta(days=COVERAGE_DAYS)),
            "opts": self.model._meta,
        }
        return render(request, "admin/notifications/dutyshift/gaps.html", context)


STATUSES = DrillResult.Status.values


class DrillResultInline(ReadOnlyInline):
    model = DrillResult
    fields = ["status", "channel", "target", "linked", "error", "answer", "answered_at"]
    readonly_fields = fields
    show_change_link = False

    @admin.display(description=_("see"))
    def linked(self, result):
        """Links to what was tried, while it exists: the robot, the app, the person."""
        found = [(obj, obj._meta) for obj in (result.robot, result.work_app, result.person) if obj is not None]
        links = (
            (reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]), obj) for obj, opts in found
        )
        return format_html_join(" · ", '<a href="{}">{}</a>', links)


class NewDrillForm(forms.Form):
    """What the "New drill" page asks: the channels (none ticked: all of them) and the people to send to."""

    channels = forms.MultipleChoiceField(
        label=Drill._meta.get_field("channels").verbose_name,
        choices=[(kind, ChannelKind(kind).label) for kind in DRILLABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every channel that can be drilled."),
    )
    people = IdChoicesField(
        label=Drill._meta.get_field("people").verbose_name,
        queryset=Person.objects.filter(is_active=True),
        widget=FilteredSelectMultiple(Drill._meta.get_field("people").verbose_name, is_stacked=False),
        required=False,
        help_text=_("Who is sent the test message by SMS, email and work message; robots and the webhook need nobody."),
    )

    def clean_people(self):
        people = list(self.cleaned_data["people"])
        if len(people) > MAX_PEOPLE:
            raise forms.ValidationError(_("At most %(limit)d people in one drill.") % {"limit": MAX_PEOPLE})
        return people


@admin.register(Drill)
class DrillAdmin(ReadOnlyAdmin):
    """Every drill with what each of its sends met, and a "New drill" page for those who may run drills."""

    list_display = ["__str__", "started_at", "started_by", "channels_asked", "sent", "failed", "skipped"]
    list_select_related = ["started_by"]
    date_hierarchy = "started_at"
    fields = ["started_by", "started_at", "channels_asked", "people"]
    readonly_fields = ["channels_asked"]
    inlines = [DrillResultInline]
    change_list_template = "admin/notifications/drill/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.new_drill_view)
        return [path("new/", view, name="notifications_drill_new"), *super().get_urls()]

    @staticmethod
    def may_run_drills(request) -> bool:
        """As the API: administrators, superusers among them."""
        return caller_of(request).has_any({Role.ADMIN})

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_run_drills": self.may_run_drills(request)}
        return super().changelist_view(request, extra_context)

    def new_drill_view(self, request):
        """The form on a GET; on a valid POST the drill, then its page with what it met."""
        if not self.may_run_drills(request):
            raise PermissionDenied
        # Bound on every POST, even one naming nothing: that is a drill of every channel for nobody.
        form = NewDrillForm(request.POST if request.method == "POST" else None)
        back_url = reverse("admin:notifications_drill_changelist")
        if form.is_valid():
            drill = run_drill(form.cleaned_data["channels"], form.cleaned_data["people"], request.user, timezone.now())
            self.tell_what_it_met(request, drill)
            return redirect(drill_page_or(self.admin_site, request, drill, back_url))
        context = {
            **self.admin_site.each_context(request),
            "title": _("New drill"),
            "subject": self.model._meta.verbose_name_plural,
            "back_url": back_url,
            "opts": self.model._meta,
            "form": form,
            "drill_time_limit": settings.DRILL_TIME_LIMIT_SECONDS,
        }
        return render(request, "admin/notifications/drill/new.html", context)

    @staticmethod
    def tell_what_it_met(request, drill) -> None:
        """The drill's counts, as a warning when a send failed."""
        counts = {status: drill.results.filter(status=status).count() for status in STATUSES}
        said = _("%(drill)s: %(sent)d sent, %(failed)d failed, %(skipped)d skipped.") % {"drill": drill, **counts}
        level = messages.WARNING if counts[DrillResult.Status.FAILED] else messages.SUCCESS
        messages.add_message(request, level, said)

    def get_queryset(self, request):
        counts = {f"{status}_count": Count("results", filter=Q(results__status=status)) for status in STATUSES}
        return super().get_queryset(request).annotate(**counts)

    @admin.display(description=_("channels asked for"))
    def channels_asked(self, drill):
        if not drill.channels:
            return _("every channel that can be drilled")
        return "、".join(str(ChannelKind(code).label) for code in drill.channels)

    @admin.display(description=_("sent"), ordering="sent_count")
    def sent(self, drill):
        return drill.sent_count

    @admin.display(description=_("failed"), ordering="failed_count")
    def failed(self, drill):
        return self.marked(drill.failed_count)

    @admin.display(description=_("skipped"), ordering="skipped_count")
    def skipped(self, drill):
        return drill.skipped_count

    @staticmethod
    def marked(count):
        """A failure stands out in the list."""
        return format_html("<strong>{}</strong>", count) if count else count


from . import admin_reports  # noqa: E402, F401 (scheduled reports: subscriptions and the reports sent)
