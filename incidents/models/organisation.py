"""The organisation: departments as a tree of administrative levels, and the people in them."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.services.usernames import look_alike
from opinion_tracker.lib.fields import optional_link


def walk_up(start, parent_of):
    """``start`` and its ancestors, nearest first: the one walk up a department tree, whether it is read
    as rows (``Department.lineage``), from a pass's cache or from a report's preloaded tree."""
    while start is not None:
        yield start
        start = parent_of(start)


class Role(models.TextChoices):
    """Roles are Django groups of these names (created by a data migration)."""

    DUTY_OFFICER = "duty_officer", _("Duty officer")
    LEADER = "leader", _("Leader")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    INTEGRATION = "integration", _("Integration")
    REVIEWER = "reviewer", _("Reviewer")


class ReviewGate(models.TextChoices):
    """The review gates a statement passes before sign-off (docs/rules.md, "Statements")."""

    POLICY = "policy", _("Policy (政策关)")
    WORDING = "wording", _("Wording (文字关)")
    SECRECY = "secrecy", _("Secrecy (保密关)")
    LEGAL = "legal", _("Legal (法律关)")


class Department(models.Model):
    """A department, or a government (``is_government``) at the root of one administrative level.

    A government's ``supervising_office`` is its own office (办公厅/室), and its ``publicity_department``
    the 宣传部门 that coordinates responses with it.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_government = models.BooleanField(_("is a government"), default=False)
    principal_leader = optional_link("Person", _("principal leader (主要负责人)"))
    responsible_leader = optional_link("Person", _("responsible leader (分管领导)"))
    supervising_office = optional_link("self", _("supervising office"))
    publicity_department = optional_link("self", _("publicity department"))

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.pk and self.parent_id and self.pk in {d.pk for d in self.parent.lineage()}:
            raise ValidationError(
                {"parent": _("A department cannot be placed under itself or its own sub-department.")}
            )

    def lineage(self):
        """This department and its ancestors, nearest first (trees are a few levels deep)."""
        return walk_up(self, lambda department: department.parent)

    def governments(self):
        """The governments this department answers to, nearest first (itself if it is one)."""
        return [d for d in self.lineage() if d.is_government]

    def nearest_government(self):
        governments = self.governments()
        return governments[0] if governments else None


class Person(AbstractUser):
    """A person who uses the tracker: a Django user with a department, a phone and roles (groups)."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    # Each work platform's own id for the person (the userid of 钉钉 and 企业微信, the user_id of 飞书),
    # which its app messages them by; an id is at most 64 characters on all three.
    dingtalk_userid = models.CharField(_("DingTalk user ID (钉钉 userid)"), max_length=64, blank=True)
    wecom_userid = models.CharField(_("WeCom user ID (企业微信 userid)"), max_length=64, blank=True)
    feishu_user_id = models.CharField(_("Feishu user ID (飞书 user_id)"), max_length=64, blank=True)
    review_gates = models.JSONField(
        _("review gates"),
        default=list,
        blank=True,
        help_text=_("The gates a person with the reviewer role reviews: policy, wording, secrecy, legal."),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["username"]

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    def clean(self):
        """Django's normalisation (NFKC), then no username that reads like another person's.

        Only a new or changed username is compared, so people who already looked alike can still be edited.
        """
        super().clean()
        if not self.username or Person.objects.filter(pk=self.pk, username=self.username).exists():
            return  # no username to compare (its field refused it), or the person's own
        existing = look_alike(self.username, Person.objects.exclude(pk=self.pk).values_list("username", flat=True))
        if existing is not None:
            message = _("This username looks like the existing username “%(existing)s”; choose another.")
            look_alike_error = ValidationError(message, code="look_alike", params={"existing": existing})
            raise ValidationError({"username": look_alike_error})

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        gates = self.review_gates
        if (
            not isinstance(gates, list)
            or any(g not in ReviewGate.values for g in gates)
            or len(set(gates)) != len(gates)
        ):
            raise ValidationError({"review_gates": _("List each gate once, from: policy, wording, secrecy, legal.")})

    @property
    def roles(self) -> list[str]:
        return sorted(group.name for group in self.groups.all() if group.name in Role.values)

    def has_role(self, role: str) -> bool:
        return role in self.roles
