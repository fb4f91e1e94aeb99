"""Scheduled reports in the admin: each government's subscription (which reports, when, to whom), and the reports
sent, a read-only record of each period's report and how each way of sending it ended."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opinion_tracker.lib.admin import ReadOnlyAdmin, TrackerAdmin

from .models import ReportKind, ReportSubscription, SentReport


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(TrackerAdmin):
    list_display = ["government", "kinds_sent", "send_at", "recipient_count", "robot_summary"]
    autocomplete_fields = ["government"]
    filter_horizontal = ["people"]
    fields = ["government", "daily", "weekly", "monthly", "send_at", "people", "addresses", "robot_summary"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("government").prefetch_related("people")

    @admin.display(description=_("reports sent"))
    def kinds_sent(self, subscription):
        return "、".join(str(ReportKind(kind).label) for kind in subscription.kinds()) or "—"

    @admin.display(description=_("email recipients"))
    def recipient_count(self, subscription):
        people = {person.email for person in subscription.people.all() if person.is_active and person.email}
        return len(people | set(subscription.address_list()))


@admin.register(SentReport)
class SentReportAdmin(ReadOnlyAdmin):
    list_display = ["government", "kind", "period_start", "period_end", "state", "email_status", "robot_status"]
    list_filter = ["kind", "state", "email_status", "robot_status"]
    date_hierarchy = "period_start"
    list_select_related = ["government"]
