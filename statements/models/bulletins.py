"""舆情专报 / 续报: reports to leaders made from the incident record, numbered 第N期 per government and year,
and who each was sent to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.models import Action, Department, Incident


def bulletin_path(bulletin, filename):
    return f"bulletins/{bulletin.government_id}/{bulletin.year}/{filename}"


class Bulletin(models.Model):
    """One issue (期) of a government's reports to leaders, about one incident: the first about an incident
    is its 专报, later ones are 续报. The number is taken when it is sent, under the government's lock."""

    government = models.ForeignKey(Department, verbose_name=_("government"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("issue number"))
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="bulletins"
    )
    follow_up = models.BooleanField(_("a follow-up report (续报)"), default=False)
    action = models.OneToOneField(
        Action, verbose_name=_("internal report"), on_delete=models.PROTECT, related_name="bulletin"
    )
    docx = models.FileField(_("Word document"), upload_to=bulletin_path)
    pdf = models.FileField(_("PDF"), upload_to=bulletin_path)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("report to leaders")
        verbose_name_plural = _("reports to leaders")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["government", "year", "number"], name="one_bulletin_per_issue_number"),
        ]

    def __str__(self):
        return f"{self.government} {self.year} 第{self.number}期"


class BulletinCopy(models.Model):
    """A bulletin sent to one leader: by email (with the documents), and in their inbox until they open it."""

    class Email(models.TextChoices):
        PENDING = "pending", pgettext_lazy("email", "Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NO_ADDRESS = "no_address", _("No email address")

    bulletin = models.ForeignKey(Bulletin, verbose_name=_("report"), on_delete=models.PROTECT, related_name="copies")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="bulletins"
    )
    email = models.CharField(_("email"), max_length=12, choices=Email.choices, default=Email.PENDING)
    email_error = models.TextField(_("email error"), blank=True)
    read_at = models.DateTimeField(_("opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("copy of a report")
        verbose_name_plural = _("copies of reports")
        ordering = ["bulletin", "recipient_id"]
        constraints = [models.UniqueConstraint(fields=["bulletin", "recipient"], name="one_copy_per_recipient")]

    def __str__(self):
        return f"{self.bulletin} → {self.recipient}"
