"""The rules as data: which obligations each severity gets, on which clock, due how long after."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .government_rules import GovernmentRules
from .incident import Clock, ObligationKind, Severity

# A deadline is hours or days away; anything beyond a year is a typing error.
MAX_OFFSET = timedelta(days=366)
MAX_WORKING_DAYS = 250


class ObligationPolicy(GovernmentRules):
    """One obligation a severity brings, nationally (no government) or overridden by a government.

    For an incident, each obligation kind takes the row of the nearest government up the department
    tree that has one for that severity, else the national row.
    """

    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    kind = models.CharField(_("obligation"), max_length=30, choices=ObligationKind.choices)
    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices)
    offset = models.DurationField(_("offset"), null=True, blank=True, help_text=_("e.g. 5:00:00 for five hours"))
    offset_working_days = models.PositiveSmallIntegerField(_("offset in working days"), null=True, blank=True)
    max_extension_working_days = models.PositiveSmallIntegerField(
        _("may be extended by at most (working days)"),
        null=True,
        blank=True,
        help_text=_("Empty: never extended. Only deadlines in working days may be."),
    )

    class Meta:
        verbose_name = _("obligation policy")
        verbose_name_plural = _("obligation policies")
        ordering = ["government_id", "severity", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "kind"], condition=Q(government__isnull=True), name="one_national_policy"
            ),
            models.UniqueConstraint(
                fields=["government", "severity", "kind"],
                condition=Q(government__isnull=False),
                name="one_policy_per_government",
            ),
            models.CheckConstraint(
                condition=Q(offset__isnull=True) ^ Q(offset_working_days__isnull=True),
                name="policy_offset_is_duration_xor_working_days",
            ),
            models.CheckConstraint(
                condition=Q(max_extension_working_days=None) | Q(offset_working_days__isnull=False),
                name="only_working_day_deadlines_extend",
            ),
        ]

    def __str__(self):
        return f"{self.scope} · {self.get_severity_display()} · {self.get_kind_display()}"

    def clean(self):
        if (self.offset is None) == (self.offset_working_days is None):
            raise ValidationError(_("Give either a duration or a number of working days, not both."))
        if self.offset is not None and not timedelta(0) < self.offset <= MAX_OFFSET:
            raise ValidationError({"offset": _("The offset must be more than zero and at most 366 days.")})
        if self.offset_working_days is not None and not 0 < self.offset_working_days <= MAX_WORKING_DAYS:
            raise ValidationError({"offset_working_days": _("The offset must be between 1 and 250 working days.")})
        if self.kind == ObligationKind.INSTRUCTION or self.clock == Clock.INSTRUCTION:
            raise ValidationError({"kind": _("An instruction's deadline is set by the leader who gives it.")})
        if self.kind == ObligationKind.RECTIFICATION or self.clock == Clock.FINDING:
            raise ValidationError(
                {"kind": _("A rectification report's deadline is set by the auditor who records the interview.")}
            )
        if self.max_extension_working_days is not None and self.offset_working_days is None:
            raise ValidationError(
                {
                    "max_extension_working_days": _(
                        "Hour deadlines and the follow-up are never extended: only a deadline in working days may be."
                    )
                }
            )
        if self.max_extension_working_days is not None and not 0 < self.max_extension_working_days <= MAX_WORKING_DAYS:
            raise ValidationError(
                {"max_extension_working_days": _("An extension must be between 1 and 250 working days.")}
            )
        if (self.kind == ObligationKind.FOLLOW_UP) != (self.clock == Clock.LATEST_PUBLIC_RESPONSE):
            raise ValidationError(
                {"clock": _("The follow-up, and only the follow-up, runs from the latest public response.")}
            )
