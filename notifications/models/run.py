"""Enforcement bookkeeping: when the enforcement pass last ran, so a stopped scheduler is visible."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EnforcementRun(models.Model):
    """One row per scheduler name, overwritten by every pass (a heartbeat, not a log)."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    last_started_at = models.DateTimeField(_("last pass started at"))
    last_finished_at = models.DateTimeField(_("last pass finished at"))
    last_summary = models.JSONField(_("what the last pass did"), default=dict)

    class Meta:
        verbose_name = _("enforcement pass")
        verbose_name_plural = _("enforcement passes")

    def __str__(self):
        return self.name
