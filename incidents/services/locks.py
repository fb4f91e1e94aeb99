"""The one way services lock an incident before changing it and its obligations.

Every change to an incident's obligations (recording an action, regrading, closing, waiving) first
locks the incident row, so changes to one incident apply one after the other, always in the same
order: incident, then obligations.

The lock is ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: inserting a timeline event checks its foreign
key with ``FOR KEY SHARE`` on the incident, which ``FOR UPDATE`` would block. The enforcement pass
inserts such events while holding obligation rows, so a plain ``FOR UPDATE`` here would deadlock
with it. SQLite ignores row locks and runs one writer at a time.
"""

from incidents.models import Incident


def lock_incident(incident) -> Incident:
    """The incident, re-read under lock (the caller is inside ``transaction.atomic``)."""
    return Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)


def lock_incidents(ids) -> None:
    """Lock several incidents (``ids``: a list or a subquery of ids), always in id order, so two callers
    locking overlapping sets never wait on each other in a circle."""
    list(Incident.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))
