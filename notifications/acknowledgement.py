"""Acknowledgement: a recipient says "I have seen this" (not "this is done").

It stops the repeats to that recipient only; higher levels still go out while the obligation is
unmet. A message carries a signed, expiring link that acknowledges without signing in: the
signature, not a session, says who the recipient is.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from incidents.models import TimelineEvent
from incidents.services.locks import lock_incidents
from incidents.services.timeline import obligation_event
from opinion_tracker.lib.validation import Errors

from .models import EscalationEntry, Notification

SALT = "notifications.acknowledge"
NON_FIELD = "non_field_errors"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def acknowledgement_token(notification) -> str:
    return signing.dumps(notification.pk, salt=SALT)


def acknowledgement_url(notification) -> str:
    path = reverse("notifications:acknowledge", kwargs={"token": acknowledgement_token(notification)})
    return settings.SITE_URL.rstrip("/") + path


def notification_for_token(token: str) -> Notification:
    """The notification a link is for; raises ``LinkExpired`` or ``LinkInvalid``."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=settings.ACKNOWLEDGEMENT_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except signing.BadSignature as error:
        raise LinkInvalid from error
    notification = (
        Notification.objects.select_related("incident", "obligation", "recipient", "entry").filter(pk=pk).first()
    )
    if notification is None:
        raise LinkInvalid
    return notification


def acknowledge(notification: Notification, person, now, channel: str = "") -> Notification:
    """Acknowledge the entry ``notification`` belongs to (every copy of its step), as ``person``."""
    acknowledge_entry(notification.entry, person, now, channel=channel or notification.channel)
    notification.refresh_from_db(fields=["acknowledged_at"])
    return notification


def acknowledge_entry(entry: EscalationEntry, person, now, channel: str = "") -> EscalationEntry:
    """Record that ``person``, the recipient, has seen ``entry``; the first time counts, on whichever
    channel (``channel``: the one it came through, empty for the inbox and the API).

    The conditional UPDATE makes two clicks at once record one acknowledgement and one event. The incident is
    locked first, as every service locks it before its rows (``incidents.services.locks``): its timeline event
    extends the incident's chain, and a pass holding the incident while it writes this entry's step must never
    wait for this transaction while this one waits for it.
    """
    if person is None or entry.recipient_id != person.pk:
        errors = Errors()
        errors.add(NON_FIELD, _("Only the recipient can acknowledge a notification."))
        errors.raise_if_any()
    with transaction.atomic():
        lock_incidents([entry.obligation.incident_id])
        first = EscalationEntry.objects.filter(pk=entry.pk, acknowledged_at__isnull=True).update(acknowledged_at=now)
        if first:
            entry.notifications.filter(acknowledged_at__isnull=True).update(acknowledged_at=now)
            obligation_event(
                entry.obligation,
                TimelineEvent.Kind.ACKNOWLEDGED,
                now,
                person,
                entry=entry.pk,
                step=entry.step,
                channel=channel,
            )
    entry.refresh_from_db(fields=["acknowledged_at"])
    return entry
