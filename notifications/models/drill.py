"""Drills (演练): a test message through each configured robot, gateway and work-message app, and to chosen people,
with every result kept, so that a broken key is found on a quiet day rather than during an incident."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .contact import Robot
from .policy import ChannelKind
from .work_app import WorkApp


class Drill(models.Model):
    """One drill: who started it, when, and what was asked (``channels`` as given, empty for every drillable one)."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="drills"
    )
    started_at = models.DateTimeField(_("started at"))
    channels = models.JSONField(_("channels asked for"), default=list, blank=True)
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("people chosen"), blank=True, related_name="drills_received"
    )

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return _("Drill %(number)d") % {"number": self.pk}


class DrillResult(models.Model):
    """What one send of a drill met: a robot, an app's credentials, a person on a channel, the gateway, the webhook.

    ``target`` names it in words as it was when tried; the links (robot, app, person) are kept while those exist.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.CASCADE, related_name="results")
    target = models.CharField(_("tried"), max_length=300)
    channel = models.CharField(_("delivery channel"), max_length=20, choices=ChannelKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    answer = models.TextField(_("provider's answer"), blank=True)
    robot = models.ForeignKey(
        Robot, verbose_name=_("group robot"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    work_app = models.ForeignKey(
        WorkApp,
        verbose_name=_("work-message app"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("drill result")
        verbose_name_plural = _("drill results")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.target}: {self.get_status_display()}"
