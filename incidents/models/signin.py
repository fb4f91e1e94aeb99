"""Failed sign-ins, counted in the database (``incidents.signin``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignInFailure(models.Model):
    """One failed (or in-flight) sign-in: where from, which username, when.

    The database rather than the cache, so that counting needs nothing but what the tracker cannot
    run without: sign-in keeps working while Redis is down, and every gunicorn worker sees the same
    counts without Redis. Rows older than the failure window count for nothing and are pruned.
    """

    address = models.CharField(_("client address"), max_length=64)
    username = models.CharField(_("username tried"), max_length=150, help_text=_("After NFKC normalisation."))
    at = models.DateTimeField(_("failed at"))

    class Meta:
        verbose_name = _("sign-in failure")
        verbose_name_plural = _("sign-in failures")
        indexes = [
            # Counting per address (a prefix of this index), and per username from that address; pruning by age.
            models.Index(fields=["address", "username", "at"], name="signin_failure_address_user"),
            models.Index(fields=["at"], name="signin_failure_at"),
        ]

    def __str__(self):
        return f"{self.username} @ {self.address}"
