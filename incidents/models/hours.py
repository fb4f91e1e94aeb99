"""Working hours (quiet hours): when obligations counted in working days may escalate."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .government_rules import GovernmentRules

DEFAULT_START, DEFAULT_END = time(8, 30), time(17, 30)


class WorkingHours(GovernmentRules):
    """The working hours of a government (or the national default), Beijing time, on the calendar's working days.

    An obligation whose deadline counts working days (the verification report) escalates only within them;
    hour deadlines escalate at any hour (docs/rules.md, "Working hours").
    """

    start = models.TimeField(_("working hours start"), default=DEFAULT_START)
    end = models.TimeField(_("working hours end"), default=DEFAULT_END)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            # One row per government, and one national row (government empty).
            models.UniqueConstraint(Coalesce("government", Value(0)), name="one_working_hours_per_government"),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="working_hours_end_after_start",
                violation_error_message=_("Working hours must end after they start."),
            ),
        ]

    def __str__(self):
        return f"{self.scope} · {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self):
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": _("Working hours must end after they start.")})
