"""Administrators set the escalation ladders here; notifications and their attempts are a read-only record."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incidents.admin import ReadOnlyAdmin, TrackerAdmin

from .models import (
    Audience,
    ChannelKind,
    DeliveryAttempt,
    EnforcementRun,
    EscalationPlan,
    EscalationPolicy,
    EscalationStep,
    Notification,
)


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
    list_display = ["created_at", "incident", "step", "recipient", "channel", "status", "attempts", "acknowledged_at"]
    list_filter = ["status", "channel", "step"]
    list_select_related = ["incident", "recipient"]
    search_fields = ["incident__title", "recipient__username", "recipient__display_name"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]


@admin.register(EscalationPlan)
class EscalationPlanAdmin(ReadOnlyAdmin):
    list_display = ["obligation", "policy", "frozen_at", "repeats_fired"]
    list_select_related = ["obligation__incident", "policy__government"]


@admin.register(EnforcementRun)
class EnforcementRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_summary"]
