"""A person's escalation entry: one step of one obligation, whatever channels carried it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Obligation


class EscalationEntry(models.Model):
    """What a person reads in 我的督办 and acknowledges once: one per person, obligation and step.

    Its notifications are the channel copies of that step (and the copies of lower steps of the same
    pass that were merged into it, so the person got one message). Acknowledging the entry on any
    channel acknowledges every copy; the unread count is the number of entries not yet acknowledged
    (``notifications.inbox``).
    """

    obligation = models.ForeignKey(
        Obligation,
        verbose_name=_("obligation"),
        on_delete=models.PROTECT,
        related_name="escalation_entries",
        db_index=False,  # the unique constraint's index (obligation, step, recipient) serves every lookup
    )
    step = models.CharField(_("step"), max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="escalation_entries",
        db_index=False,  # the index of a person's entries (recipient, created_at) serves every lookup
    )
    created_at = models.DateTimeField(_("recorded at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation entry")
        verbose_name_plural = _("escalation entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "step", "recipient"], name="one_entry_per_step_recipient"),
        ]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="entries_of_recipient")]

    def __str__(self):
        return f"{self.step} → {self.recipient}"
