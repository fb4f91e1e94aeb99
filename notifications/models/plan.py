"""The escalation frozen onto one obligation, and how far along it the passes have gone."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models import Obligation, Severity
from opinion_tracker.lib.fields import optional_link

from .policy import EscalationPolicy


class EscalationPlan(models.Model):
    """Written by the first pass that sees an obligation, then only advanced by later passes.

    ``ladder`` is a copy of the policy in force at that moment for the incident's ``severity`` (see
    ``notifications.ladder``), so editing the policy never rewrites an escalation already running;
    regrading the incident copies the new severity's ladder. ``fired`` lists the step codes recorded
    (sent or skipped, ``skipped`` the warnings skipped as stale) for ``deadline`` and ``repeats_fired``
    the number of the last repeat. When the deadline moves or the incident is regraded, a new ``round``
    starts (see ``notifications.ladder.new_round``). Passes hold the obligation row locked while they
    change a plan.
    """

    obligation = models.OneToOneField(
        Obligation,
        verbose_name=_("obligation"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="escalation_plan",
    )
    policy = optional_link(EscalationPolicy, _("policy it was copied from"))
    ladder = models.JSONField(_("ladder"), encoder=DjangoJSONEncoder)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    frozen_at = models.DateTimeField(_("frozen at"))
    deadline = models.DateTimeField(_("deadline the steps are timed from"))
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    fired = models.JSONField(_("steps recorded"), default=list)
    skipped = models.JSONField(_("warnings skipped as stale"), default=list)
    repeats_fired = models.PositiveIntegerField(_("repeats recorded"), default=0)

    class Meta:
        verbose_name = _("escalation plan")
        verbose_name_plural = _("escalation plans")

    def __str__(self):
        return str(self.obligation)
