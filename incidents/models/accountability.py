"""Accountability findings (问责) that auditors record on breached obligations."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Obligation


class AccountabilityFinding(models.Model):
    """What was decided about a breach: 通报批评, 约谈整改, or a documented 容错免责 exemption.

    Findings are never edited or deleted: a later decision is a further finding, so the ledger keeps
    the whole history of what was decided and when.
    """

    class Kind(models.TextChoices):
        CRITICISM = "criticism", _("Circulated criticism (通报批评)")
        INTERVIEW = "interview", _("Admonishing interview (约谈整改)")
        EXEMPTION = "exemption", _("Exemption for an excusable error (容错免责)")

    obligation = models.ForeignKey(
        Obligation, verbose_name=_("obligation"), on_delete=models.PROTECT, related_name="findings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"))
    decided_on = models.DateField(_("decided on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("accountability finding")
        verbose_name_plural = _("accountability findings")
        ordering = ["decided_on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.decided_on}"
