"""Where people are reached: a department's group robot, and each person's preferred channel order."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Department

from .policy import ChannelKind


def default_channel_order():
    """The inbox first, then the work apps (what leaders read first), the group, email, and SMS last (capped)."""
    return [
        ChannelKind.IN_APP,
        ChannelKind.DINGTALK_WORK,
        ChannelKind.WECOM_APP,
        ChannelKind.FEISHU_APP,
        ChannelKind.ROBOT,
        ChannelKind.EMAIL,
        ChannelKind.SMS,
    ]


class Robot(models.Model):
    """A department's group robot (钉钉, 企业微信 or 飞书 custom robot). The token and the secret are
    credentials: the admin never shows them back in full and nothing logs them."""

    class Provider(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        WECOM = "wecom", _("WeCom (企业微信)")
        FEISHU = "feishu", _("Feishu (飞书)")

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="robots"
    )
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    token = models.CharField(
        _("access token or key"),
        max_length=200,
        help_text=_("access_token (钉钉), key (企业微信) or hook id (飞书) from the webhook address."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True, help_text=_("加签 secret (钉钉) or signature secret (飞书).")
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["department", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["department"], condition=Q(enabled=True), name="one_enabled_robot"),
        ]

    def __str__(self):
        return f"{self.department} · {self.get_provider_display()}"

    @classmethod
    def of_department(cls, department_id) -> "Robot | None":
        """The department's enabled robot, if it has one."""
        if department_id is None:
            return None
        return cls.objects.filter(department_id=department_id, enabled=True).first()


class ContactPreference(models.Model):
    """The order in which a person prefers to be reached; a permanent failure falls back along it."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contact_preference",
    )
    channel_order = models.JSONField(_("preferred order of channels"), default=default_channel_order)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")

    def __str__(self):
        return str(self.person)


class ProviderSend(models.Model):
    """One message handed to a rate-limited provider destination (a robot, a mobile number): what the
    limits count, across every worker. The ``Destination`` row is what senders lock to count and
    reserve in turn.

    ``sent_at`` is the latest moment the provider can have seen the message, which is what its own
    limit counts by: while the message is on its way, the end of the sender's lease; once the send
    has finished, the moment it finished.
    """

    destination = models.CharField(_("destination"), max_length=100)
    sent_at = models.DateTimeField(_("seen by the provider at the latest"), db_index=True)

    class Meta:
        verbose_name = _("message sent to a provider")
        verbose_name_plural = _("messages sent to providers")
        indexes = [models.Index(fields=["destination", "sent_at"])]

    def __str__(self):
        return f"{self.destination} {self.sent_at:%Y-%m-%d %H:%M:%S}"


class Destination(models.Model):
    """A rate-limited destination: the row senders lock in turn, and the provider's penalty while it
    throttles us (nothing is handed to it before ``paused_until``)."""

    key = models.CharField(_("destination"), max_length=100, primary_key=True)
    paused_until = models.DateTimeField(
        _("paused until"),
        null=True,
        blank=True,
        help_text=_("The provider throttled this destination: nothing is sent to it before this time."),
    )
    told_until = models.DateTimeField(
        _("administrators told until"),
        null=True,
        blank=True,
        help_text=_("Administrators were told that messages wait here; not again before this time."),
    )

    class Meta:
        verbose_name = _("rate-limited destination")
        verbose_name_plural = _("rate-limited destinations")

    def __str__(self):
        return self.key
