"""Rules kept as data per government, with a national default."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Department


class GovernmentRules(models.Model):
    """A row of rules for one government, or the national default when ``government`` is empty.

    Obligation policies, escalation ladders and working hours are all kept so: for a department, the
    nearest government up its tree that has a row wins, else the national row.
    """

    government = models.ForeignKey(
        Department,
        verbose_name=_("government"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        limit_choices_to={"is_government": True},
        help_text=_("Empty for the national default."),
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def scope(self) -> str:
        """Whose rules these are: the government's name, or "National"."""
        return self.government.name if self.government_id else str(_("National"))
