"""Who may open a sent bulletin, and a recipient's copies: the in-app inbox, where opening one marks it read."""

from django.db.models import Q

from incidents.access import Caller

from ..models import Bulletin, BulletinCopy


def openable_bulletins(caller: Caller):
    """Bulletins about incidents the caller may read, and those sent to them."""
    readable = caller.incident_filter("incident")
    return Bulletin.objects.filter(readable | Q(copies__recipient=caller.person)).distinct()


READ_SHOWN = 20


def copies_for(person, read_shown=READ_SHOWN) -> list[BulletinCopy]:
    """A person's copies for their inbox: every one not yet opened, then the latest ``read_shown`` opened
    ones; the newest first within each."""
    copies = BulletinCopy.objects.filter(recipient=person).select_related("bulletin__incident", "bulletin__government")
    newest = copies.order_by("-bulletin__sent_at", "-pk")
    return [*newest.filter(read_at=None), *newest.exclude(read_at=None)[:read_shown]]


def unread_count(person) -> int:
    return BulletinCopy.objects.filter(recipient=person, read_at=None).count()


def mark_read(bulletin, person, now) -> None:
    """The person's copy, if they have one, is read from the first time they open it."""
    BulletinCopy.objects.filter(bulletin=bulletin, recipient=person, read_at=None).update(read_at=now)
