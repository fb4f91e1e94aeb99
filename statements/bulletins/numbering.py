"""Issue numbers (第N期): per government and Beijing year, 1, 2, 3… with no gaps or repeats.

A number is taken only when a bulletin is sent, under a lock on the government's row, so two senders of
one government queue for it while other governments count on undisturbed. The lock is ``FOR NO KEY
UPDATE``: it serialises the senders without blocking the rows that merely refer to the government (its
incidents, their actions), whose foreign-key checks take ``FOR KEY SHARE``. SQLite has one writer anyway.
"""

from django.db.models import Max

from incidents.models import Department
from opinion_tracker.lib.beijing import BEIJING

from ..models import Bulletin


def government_of(incident) -> Department | None:
    """The government whose series the incident's bulletins belong to: its lead's nearest."""
    return incident.department.nearest_government()


def issue_year(now) -> int:
    return now.astimezone(BEIJING).year


def next_number(government, year: int) -> int:
    """The number the government's next bulletin of ``year`` gets (reserved only under ``take_number``)."""
    if government is None:
        return 1
    last = Bulletin.objects.filter(government=government, year=year).aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


def take_number(government, year: int) -> int:
    """The next number, with the government locked until the caller's transaction ends (which must
    create the bulletin under it: call inside ``transaction.atomic``)."""
    Department.objects.select_for_update(no_key=True).filter(pk=government.pk).values_list("pk").get()
    return next_number(government, year)


def is_follow_up(incident) -> bool:
    """Whether a bulletin about the incident was sent before: the first is its 专报, later ones 续报."""
    return Bulletin.objects.filter(incident=incident).exists()
