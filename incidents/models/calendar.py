"""The mainland China working calendar: official holidays and adjusted working days (调休) by year."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """A year whose official schedule is loaded; a year without a row is computed provisionally."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("Bundled official schedule")
        ADMIN = "admin", _("Loaded by an administrator")

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("e.g. the State Council notice"))

    class Meta:
        verbose_name = _("working calendar year")
        verbose_name_plural = _("working calendar years")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the plain Monday–Friday week: a holiday, or a weekend day worked (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Adjusted working day")

    year = models.ForeignKey(CalendarYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"
