"""Work-message apps: an organisation's 钉钉, 企业微信 or 飞书 app, through which a person is messaged one to one."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Department

from .policy import ChannelKind

ONE_ENABLED = _("This department already has an enabled app of this provider.")
AGENT_ID_NEEDED = _("钉钉 and 企业微信 apps send as their agent: give its AgentId.")


class WorkApp(models.Model):
    """A corp's internal app on a work platform. The secret is a credential: the admin never shows it back
    in full and nothing logs it.

    An app serves the people of its ``department`` and of every department under it (a province's 政务钉钉
    serves the whole province); an app without a department serves everyone. A person is reached through the
    nearest app up their department's tree, one enabled app per provider and department.
    """

    class Provider(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk (钉钉工作通知)")
        WECOM = "wecom", _("WeCom (企业微信应用消息)")
        FEISHU = "feishu", _("Feishu (飞书应用消息)")

    CHANNEL = {
        Provider.DINGTALK: ChannelKind.DINGTALK_WORK,
        Provider.WECOM: ChannelKind.WECOM_APP,
        Provider.FEISHU: ChannelKind.FEISHU_APP,
    }

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="work_apps",
        help_text=_("It reaches this department and every department under it; empty: everyone."),
    )
    app_key = models.CharField(
        _("app key"), max_length=200, help_text=_("AppKey (钉钉), corp ID (企业微信) or App ID (飞书).")
    )
    secret = models.CharField(
        _("app secret"),
        max_length=200,
        help_text=_("AppSecret (钉钉), the app's Secret (企业微信) or App Secret (飞书)."),
    )
    agent_id = models.PositiveBigIntegerField(
        _("agent ID"), null=True, blank=True, help_text=_("AgentId of the app (钉钉 and 企业微信; 飞书 has none).")
    )
    base_url = models.URLField(
        _("base URL"),
        blank=True,
        help_text=_("For 政务钉钉, 专有钉钉 or a private deployment; empty for the public service."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("work-message app")
        verbose_name_plural = _("work-message apps")
        ordering = ["provider", "department", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "department"],
                condition=Q(enabled=True),
                name="one_enabled_app_per_department",
                violation_error_message=ONE_ENABLED,
            ),
            # NULLs are distinct in a unique index: the app serving everyone needs its own.
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(enabled=True, department__isnull=True),
                name="one_enabled_app_for_all",
                violation_error_message=ONE_ENABLED,
            ),
            models.CheckConstraint(
                condition=Q(provider="feishu") | Q(agent_id__isnull=False),
                name="work_app_agent_id_where_needed",
                violation_error_message=AGENT_ID_NEEDED,
            ),
        ]

    def __str__(self):
        where = str(self.department) if self.department_id else _("everyone")
        return f"{self.name or self.get_provider_display()} · {where}"

    @classmethod
    def enabled_by_place(cls, **filters) -> dict:
        """Enabled apps by (provider, department id), the department ``None`` for an app serving everyone."""
        return {(app.provider, app.department_id): app for app in cls.objects.filter(enabled=True, **filters)}

    @staticmethod
    def nearest(apps: dict, provider: str, lineage_ids) -> "WorkApp | None":
        """The app of ``apps`` (``enabled_by_place``) nearest up a department's lineage, else the one for everyone."""
        for department_id in lineage_ids:
            if (provider, department_id) in apps:
                return apps[provider, department_id]
        return apps.get((provider, None))

    @classmethod
    def serving(cls, provider: str, department) -> "WorkApp | None":
        """The enabled app of ``provider`` that reaches the people of ``department``."""
        lineage = [d.pk for d in department.lineage()] if department is not None else []
        return cls.nearest(cls.enabled_by_place(provider=provider), provider, lineage)

    @property
    def channel(self) -> str:
        return self.CHANNEL[self.provider]
