"""Notifications (one per step, recipient and channel) and every attempt to deliver them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, Obligation

from .entry import EscalationEntry
from .policy import ChannelKind


class Notification(models.Model):
    """One step of an obligation's escalation, for one recipient on one channel.

    The unique constraint on (obligation, step, recipient, channel) is what makes a step impossible
    to record twice, whatever passes overlap. Delivery claims a pending row by moving
    ``available_at`` forward by a lease in a conditional UPDATE; a sender that dies leaves the lease
    to expire, and the row is claimed again (at-least-once, with the id as idempotency key) on
    channels whose provider drops repeats; on the others the outcome of a cut-off send is ``unknown``
    (``notifications.delivery``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        UNKNOWN = "unknown", _("Outcome unknown")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="notifications"
    )
    obligation = models.ForeignKey(
        Obligation,
        verbose_name=_("obligation"),
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,  # the unique constraint's index (obligation, step, recipient, channel) serves every lookup
    )
    step = models.CharField(_("step"), max_length=40)
    entry = models.ForeignKey(
        EscalationEntry,
        verbose_name=_("escalation entry"),
        on_delete=models.PROTECT,
        related_name="notifications",
        help_text=_("The entry this copy belongs to: its own step's, or the higher step it was merged into."),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,  # the inbox's index (recipient, created_at) serves every lookup
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    step_at = models.DateTimeField(_("step due at"))
    held_until = models.DateTimeField(
        _("moved by working hours to"),
        null=True,
        blank=True,
        help_text=_("When working hours moved the step from its time on the ladder; empty when they did not."),
    )
    created_at = models.DateTimeField(_("recorded at"))
    latency = models.DurationField(_("recorded after the step was due by"))
    available_at = models.DateTimeField(_("claimable from"), help_text=_("Lease end or next retry."))
    dispatched_at = models.DateTimeField(_("last handed to a worker at"), null=True, blank=True)
    # Database defaults as well: the pass writes notification rows with its own multi-row INSERT.
    sending = models.BooleanField(
        _("being sent"),
        default=False,
        db_default=False,
        help_text=_("A sender claimed it and has not recorded the provider's answer yet."),
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    throttled = models.PositiveSmallIntegerField(
        _("attempts the provider throttled"),
        default=0,
        db_default=0,
        help_text=_("Refused by the provider for its rate limit: not counted against the attempts."),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error or reason"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    fallback_for = models.ForeignKey(
        "self",
        verbose_name=_("fallback for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fallbacks",
        help_text=_("The notification that failed for good on another channel."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "step", "recipient", "channel"],
                name="one_notification_per_step_recipient_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="pending"), name="pending_notification"),
            models.Index(fields=["recipient", "-created_at"], name="inbox"),
        ]

    def __str__(self):
        return f"{self.step} → {self.recipient} ({self.get_channel_display()})"


class DeliveryAttempt(models.Model):
    """One try at sending a notification. An attempt with no outcome was cut off (its lease expired)."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        TRANSIENT_ERROR = "transient_error", _("Temporary error")
        PERMANENT_ERROR = "permanent_error", _("Permanent error")
        THROTTLED = "throttled", _("Throttled by the provider")
        UNKNOWN = "unknown", _("No answer (outcome unknown)")

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.PROTECT,
        related_name="delivery_attempts",
        db_index=False,  # the unique constraint's index (notification, number) serves every lookup
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    provider_answer = models.TextField(_("provider's answer"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["notification", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="one_attempt_per_number"),
        ]

    def __str__(self):
        return f"#{self.number} {self.get_outcome_display() or '…'}"
