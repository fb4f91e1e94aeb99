"""Drills (演练, docs/rules.md "Reaching people directly"): an administrator sends a short test message through each
configured robot, gateway and work-message app, and to chosen people, and every answer is recorded, so that a
rotated key or a wrong secret is found on a quiet day rather than when an incident needs the channel.

What a drill tries, channel by channel (``DRILLABLE``; no channels asked means all of them):

- ``robot``: every enabled group robot, one message to its group, mentioning nobody;
- ``webhook``: one signed test POST (event ``drill``) to the configured receiver;
- ``sms``, ``email``: one message to each chosen person the channel reaches;
- a work-message kind: one message to each chosen person, through the app serving their department; with nobody
  chosen, each enabled app of the provider fetches an access token, which checks its key and secret.

A channel that is not configured, and a person a channel cannot reach, are recorded ``skipped`` with the reason.
Every message to a rate-limited destination (a robot, a mobile number, a person through an app) takes a slot as
real deliveries do (``limits.reserve``): with none left it is ``skipped``, never sent past the provider's limit,
and a provider that throttles a drill pauses the destination for everyone. Sends are made one after the other,
and each result is saved as soon as it is answered; a provider's refusal is a ``failed`` result with its words.

A drill answers within the request, so it has ``DRILL_TIME_LIMIT_SECONDS`` in all, below the web server's worker
timeout: each send waits no longer than the time left (``http.answered_by``; email through a connection with
its timeout so bounded), a provider that has not answered by then is a ``failed`` result, and a send not started
in time is ``skipped``, saying to drill it on its own.
"""

import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opinion_tracker.lib.beijing import BEIJING

from .channels import CHANNELS, DeliveryError, Throttled
from .channels.group_text import inert
from .channels.http import answered_by, bounded
from .channels.robot import PROVIDERS as ROBOT_PROVIDERS
from .channels.webhook import post_payload
from .channels.work_message import NO_APP, NO_USER_ID
from .delivery import lease
from .limits import Limited, pause, reserve, robot_destination, seen, sms_destination, work_destination
from .models import ChannelKind, Drill, DrillResult, Robot, WorkApp
from .readiness import configuration_of

logger = logging.getLogger(__name__)

DRILLABLE = (
    ChannelKind.ROBOT,
    ChannelKind.SMS,
    ChannelKind.EMAIL,
    ChannelKind.WEBHOOK,
    ChannelKind.DINGTALK_WORK,
    ChannelKind.WECOM_APP,
    ChannelKind.FEISHU_APP,
)
# What is kept of a provider's answer: enough to read its code and words.
ANSWER_LENGTH = 500
# People one drill may send to: each is a send or more, made one after the other within the time limit.
MAX_PEOPLE = 50

NO_ROBOT = gettext_lazy("No enabled group robot.")
NO_ENABLED_APP = gettext_lazy("No enabled %(provider)s app.")
CHOOSE_PEOPLE = gettext_lazy("Choose people to send the test message to: this channel reaches people one by one.")
NO_SLOT = gettext_lazy(
    "The provider's limit for this destination is reached: nothing more may go to it before %(time)s (Beijing time)."
)
TOKEN_ISSUED = gettext_lazy("An access token was issued, valid for %(seconds)d seconds.")
OUT_OF_TIME = gettext_lazy("The drill's %(seconds)g seconds ran out before this was tried: drill it on its own.")


@dataclass(frozen=True)
class Message:
    """The drill's test message, in the site's language."""

    drill: Drill
    title: str
    text: str

    @classmethod
    def of(cls, drill: Drill) -> "Message":
        text = _(
            "This is a drill: a test message sent by %(person)s at %(time)s (Beijing time) to check that the tracker "
            "reaches you this way. It needs no action."
        ) % {"person": inert(str(drill.started_by)), "time": beijing(drill.started_at, "%Y-%m-%d %H:%M")}
        return cls(drill, _("[Drill] Test message from the escalation tracker"), text)


def beijing(at, form: str) -> str:
    return timezone.localtime(at, BEIJING).strftime(form)


@dataclass(frozen=True)
class Attempt:
    """One send a drill makes (``send`` returns the provider's answer or raises a ``DeliveryError``), or why it
    makes none (``skipped``). ``destination`` is the rate-limited destination the send takes a slot of."""

    channel: str
    target: str
    send: Callable[[], str] | None = None
    skipped: str = ""
    destination: Limited | None = None
    robot: Robot | None = None
    work_app: WorkApp | None = None
    person: object = None


def run_drill(channels, people, started_by, now, *, robot=None, app=None) -> Drill:
    """Drill ``channels`` (every drillable one when empty) for ``people``, started by ``started_by`` at ``now``;
    returns the drill once every send has an answer or the drill's time is up, its results saved one by one.

    ``robot`` drills that robot alone (enabled or not: it can be tried before it is switched on); ``app`` that
    work-message app alone: its credentials, and a message through it to each of ``people``.
    """
    people = list(dict.fromkeys(people))
    if robot is not None:
        channels = [ChannelKind.ROBOT]
    elif app is not None:
        channels = [app.channel]
    limit = settings.DRILL_TIME_LIMIT_SECONDS
    deadline = time.monotonic() + limit
    with translation.override(settings.LANGUAGE_CODE), answered_by(deadline):
        drill = Drill.objects.create(started_by=started_by, started_at=now, channels=list(channels))
        drill.people.set(people)
        message = Message.of(drill)
        for kind in dict.fromkeys(channels or DRILLABLE):
            for attempt in attempts_of(kind, message, people, robot, app):
                if attempt.send is not None and time.monotonic() >= deadline:
                    attempt = replace(attempt, send=None, skipped=str(OUT_OF_TIME % {"seconds": limit}))
                record(drill, attempt)
    return drill


def attempts_of(kind, message, people, robot, app) -> Iterator[Attempt]:
    if kind == ChannelKind.ROBOT:
        return robot_attempts(message, [robot] if robot is not None else None)
    if kind == ChannelKind.WEBHOOK:
        return webhook_attempts(message)
    if kind == ChannelKind.SMS:
        return sms_attempts(message, people)
    if kind == ChannelKind.EMAIL:
        return email_attempts(message, people)
    return work_attempts(kind, message, people, app)


def unconfigured(kind) -> Attempt | None:
    """A ``skipped`` attempt naming the channel when it is configured once for everyone and is not."""
    missing = configuration_of(kind).missing(None, None)
    return Attempt(kind, str(ChannelKind(kind).label), skipped=str(missing)) if missing else None


def robot_attempts(message, robots=None) -> Iterator[Attempt]:
    robots = robots if robots is not None else list(Robot.objects.filter(enabled=True).select_related("department"))
    if not robots:
        yield Attempt(ChannelKind.ROBOT, str(ChannelKind.ROBOT.label), skipped=str(NO_ROBOT))
    for robot in robots:
        send = partial(ROBOT_PROVIDERS[robot.provider].send, robot, message.title, message.text, [])
        name = f"{robot.name} · {robot}" if robot.name else str(robot)
        yield Attempt(ChannelKind.ROBOT, name, send, destination=robot_destination(robot), robot=robot)


def webhook_attempts(message) -> Iterator[Attempt]:
    skipped = unconfigured(ChannelKind.WEBHOOK)
    if skipped:
        yield skipped
        return
    drill = message.drill
    content = {
        "id": f"drill-{drill.pk}",
        "event": "drill",
        "drill": drill.pk,
        "title": message.title,
        "text": message.text,
        "started_at": drill.started_at,
        "started_by": {"id": drill.started_by.pk, "username": drill.started_by.username, "name": str(drill.started_by)},
    }
    send = partial(post_payload, content, f"drill-{drill.pk}", "drill")
    target = f"{ChannelKind.WEBHOOK.label} · {host_of(settings.OUTBOUND_WEBHOOK_URL)}"
    yield Attempt(ChannelKind.WEBHOOK, target, send)


def host_of(url: str) -> str:
    """The host and port ``url`` names, and nothing else: the address may carry a user name and password before
    the host, and a token in the path or the query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address, bracketed again so the port reads apart from it
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a port: the send fails and says so, the host is enough to name the receiver
        port = None
    return f"{host}:{port}" if port else host


def sms_attempts(message, people) -> Iterator[Attempt]:
    skipped = unconfigured(ChannelKind.SMS)
    if skipped or not people:
        yield skipped or Attempt(ChannelKind.SMS, str(ChannelKind.SMS.label), skipped=str(CHOOSE_PEOPLE))
        return
    channel = CHANNELS[ChannelKind.SMS]
    parameters = {  # the approved template's parameters, each short (templates cap them)
        "title": message.title[:20],
        "obligation": _("Drill"),
        "due": beijing(message.drill.started_at, "%m-%d %H:%M"),
        "step": _("No action needed"),
    }
    for person in people:
        reason = channel.unreachable(person)
        if reason:
            yield Attempt(ChannelKind.SMS, str(person), skipped=str(reason), person=person)
            continue
        out_id = f"drill-{message.drill.pk}-{person.pk}"
        send = partial(channel.send_to, person.phone, parameters, out_id)
        target = f"{person} · {person.phone}"
        yield Attempt(ChannelKind.SMS, target, send, destination=sms_destination(person.phone), person=person)


def email_attempts(message, people) -> Iterator[Attempt]:
    if not people:
        yield Attempt(ChannelKind.EMAIL, str(ChannelKind.EMAIL.label), skipped=str(CHOOSE_PEOPLE))
        return
    for person in people:
        reason = CHANNELS[ChannelKind.EMAIL].unreachable(person)
        if reason:
            yield Attempt(ChannelKind.EMAIL, str(person), skipped=str(reason), person=person)
            continue
        send = partial(send_email, message, person)
        yield Attempt(ChannelKind.EMAIL, f"{person} · {person.email}", send, person=person)


def send_email(message, person) -> str:
    """The test message by email, each step with the mail server within the drill's time left; a refusal or a
    failure of the mail server is a ``DeliveryError`` with its words."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message_id = f"<drill-{message.drill.pk}-{person.pk}@{domain}>"
    email = EmailMessage(
        subject=message.title,
        body=f"{message.text}\n\n{settings.SITE_URL}",
        to=[person.email],
        headers={"Message-ID": message_id},
        connection=get_connection(timeout=bounded(settings.EMAIL_TIMEOUT)),
    )
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(str(error) or type(error).__name__) from error
    return message_id


def work_attempts(kind, message, people, app=None) -> Iterator[Attempt]:
    """A message to each of ``people`` through the app serving them (``app`` when given), else a credentials check
    of each enabled app of the provider; with ``app`` given, its credentials check comes first."""
    channel = CHANNELS[kind]
    if app is not None or not people:
        yield from credentials_attempts(kind, channel, [app] if app is not None else None)
    for person in people:
        serving = app or WorkApp.serving(channel.provider, person.department)
        if serving is None:
            reason = NO_APP % {"provider": channel.provider_label}
            yield Attempt(kind, str(person), skipped=str(reason), person=person)
        elif not channel.user_id(person):
            reason = NO_USER_ID % {"provider": channel.provider_label}
            yield Attempt(kind, f"{person} · {serving}", skipped=str(reason), work_app=serving, person=person)
        else:
            send = partial(channel.test, serving, channel.user_id(person), message.title, message.text)
            destination = work_destination(kind, serving, person)
            yield Attempt(kind, f"{person} · {serving}", send, destination=destination, work_app=serving, person=person)


def credentials_attempts(kind, channel, apps=None) -> Iterator[Attempt]:
    apps = apps if apps is not None else list(WorkApp.objects.filter(provider=channel.provider, enabled=True))
    if not apps:
        reason = NO_ENABLED_APP % {"provider": channel.provider_label}
        yield Attempt(kind, str(ChannelKind(kind).label), skipped=str(reason))
    for app in apps:
        yield Attempt(kind, str(app), partial(check_credentials, channel, app), work_app=app)


def check_credentials(channel, app) -> str:
    """Trade the app's key and secret for an access token; the token itself is never kept nor shown."""
    _token, lifetime = channel.module.fetch_token(app)
    return str(TOKEN_ISSUED % {"seconds": lifetime})


def record(drill, attempt: Attempt) -> DrillResult:
    status, error, answer = outcome(attempt)
    return DrillResult.objects.create(
        drill=drill,
        target=attempt.target[:300],
        channel=attempt.channel,
        status=status,
        error=error,
        answer=answer[:ANSWER_LENGTH],
        robot=attempt.robot,
        work_app=attempt.work_app,
        person=attempt.person,
        answered_at=timezone.now(),
    )


def outcome(attempt: Attempt) -> tuple[str, str, str]:
    """Send the attempt within the destination's limit; returns the status, the error and the provider's answer."""
    if attempt.send is None:
        return DrillResult.Status.SKIPPED, attempt.skipped, ""
    reservation = None
    if attempt.destination is not None:
        with transaction.atomic():
            slots, frees_at, reservation = reserve(attempt.destination, timezone.now(), lease())
        if not slots:
            when = beijing(frees_at, "%Y-%m-%d %H:%M:%S")
            return DrillResult.Status.SKIPPED, str(NO_SLOT % {"time": when}), ""
    try:
        return DrillResult.Status.SENT, "", str(attempt.send())
    except Throttled as error:
        if attempt.destination is not None:
            pause(attempt.destination.key, timezone.now() + timedelta(seconds=error.retry_after))
        return DrillResult.Status.FAILED, str(error), error.answer
    except DeliveryError as error:
        return DrillResult.Status.FAILED, str(error), error.answer
    except Exception as error:
        # A fault of ours or an answer no provider module expected: recorded, never a failed request.
        logger.exception("A drill's send to %s failed unexpectedly", attempt.channel)
        return DrillResult.Status.FAILED, f"{type(error).__name__}: {error}", ""
    finally:
        if reservation is not None:
            with transaction.atomic():
                seen(reservation, timezone.now())
