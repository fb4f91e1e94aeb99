"""Who may read an incident besides its own department's people: those the tracker told about it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .incident import Incident


class IncidentReader(models.Model):
    """A person granted reading of an incident (its page, its timeline) for as long as it exists.

    Being told grants reading (docs/rules.md, "What a message tells"): a leader of the government office
    escalated about a bureau's incident must be able to open it from the message, although it lies outside
    their department's subtree. This app owns the grant; the notifications side writes it when it records
    a notification, so the dependency between the apps stays one way.
    """

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="readers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint's index (person, incident) serves every lookup
    )
    granted_at = models.DateTimeField(_("granted at"))

    class Meta:
        verbose_name = _("incident reader")
        verbose_name_plural = _("incident readers")
        constraints = [models.UniqueConstraint(fields=["person", "incident"], name="one_read_grant_per_person")]

    def __str__(self):
        return f"{self.person} → {self.incident}"
