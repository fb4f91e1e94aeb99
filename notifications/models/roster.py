"""The duty roster (值班表): who is on duty for a department, and when."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Department


class DutyShift(models.Model):
    """One person on duty for a department from ``starts_at`` until ``ends_at`` (exclusive)."""

    class Post(models.TextChoices):
        DUTY_OFFICER = "duty_officer", _("Duty officer (值班员)")
        SHIFT_LEADER = "shift_leader", _("Leader on duty (带班领导)")

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    post = models.CharField(_("post"), max_length=20, choices=Post.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["department", "starts_at", "post"]
        indexes = [models.Index(fields=["department", "post", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_it_starts"),
        ]

    def __str__(self):
        return f"{self.department} · {self.get_post_display()} · {self.person}"
