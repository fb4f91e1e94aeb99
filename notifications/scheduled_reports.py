"""Scheduled reports (docs/rules.md, "Assessment (考核) and audit trust"): each government's 日报, 周报 and 月报 of the
period just ended, by email with the period's ledger attached and as a summary to its office's group robot, each
period's report sent once.

Both schedulers (Celery beat in production, the embedded one in ``runtracker``, also at its start) call
``send_due_reports(now)`` every five minutes. It finds, for each subscription, every period whose report has fallen
due (``Period.due_at``) and has no ``SentReport`` row yet, looking back ``LOOKBACK`` periods of each kind: a
scheduler down over a weekend sends each report it missed once when it is back, oldest first; one down longer sends
the latest of them.

Why a report is never sent twice:
- The claim is the insert of the report's row, in its own transaction, before anything is built or sent. The row's
  key (government, kind, period start) is unique: of two schedulers due to send the same report, one inserts it and
  the other's insert fails (on PostgreSQL it waits for the first to commit), so it skips the report. Each report
  is claimed and sent before the next is claimed, so a claim's lease (``LEASE``) runs while it is being sent only.
- Each way (email, robot) is marked ``sending`` and committed before its send starts, and its outcome recorded as
  soon as the send returns. A sender that dies after the claim leaves the report claimed until its lease runs out;
  the next run then takes it up (a conditional UPDATE: one run wins). A way still ``pending`` was never sent and is
  sent then. A way left ``sending`` died during its send and may have gone out: it is recorded ``unknown`` and the
  administrators are told, never sent again. So a report reaches its recipients at most once, and a report that
  may not have is always told to someone.
- A failure worth retrying (a mail server down or greylisting, a provider busy) leaves the way ``pending`` and the
  report is taken up again ``RETRY_AFTER`` later, until ``MAX_ATTEMPTS`` failed attempts; a robot with no slot left
  under its provider's limit, or throttled, waits for the slot without using an attempt. Whatever ends failed,
  unknown or given up is told to the administrators (``ADMINS``) once, when the report is finished.
"""

import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opinion_tracker.lib.beijing import BEIJING

from .channels import DeliveryError, Throttled, TransientError, UnknownOutcome
from .channels.robot import RobotChannel
from .channels.smtp import AnswerLost
from .delivery import lease
from .limits import pause, reserve, robot_destination, seen
from .models import ReportKind, ReportSubscription, Robot, SentReport
from .report_texts import ReportText, ledger_attachment, report_text

logger = logging.getLogger(__name__)

Outcome = SentReport.Outcome

# How long a claimed report is its sender's: far longer than building a month's ledger and the mail server's and
# the provider's timeouts, after which the sender is taken to have died.
LEASE = timedelta(minutes=15)
RETRY_AFTER = timedelta(minutes=5)
# Failed attempts before a report is given up: an hour of a mail server that does not answer.
MAX_ATTEMPTS = 12
# How many periods of each kind are caught up after the schedulers were down: a week, five weeks, a quarter.
LOOKBACK: dict[str, int] = {ReportKind.DAILY: 7, ReportKind.WEEKLY: 5, ReportKind.MONTHLY: 3}
FINAL = {Outcome.SENT, Outcome.FAILED, Outcome.SKIPPED, Outcome.UNKNOWN, Outcome.NOT_ASKED}
TOLD = {Outcome.FAILED, Outcome.UNKNOWN}
WAYS = ("email", "robot")

NO_RECIPIENT = gettext_lazy("No email recipient is configured.")
NO_ROBOT = gettext_lazy("The government office has no group robot.")
NO_OFFICE = gettext_lazy("The government has no office (supervising office) to post to.")
CUT_OFF = gettext_lazy(
    "The sender stopped during the send, before the outcome was recorded: the report may have gone out, and is not "
    "sent again."
)


@dataclass(frozen=True)
class Period:
    """One report's period: Beijing dates from ``start`` to ``end``, both included."""

    kind: str
    start: date
    end: date

    def due_at(self, send_at: time) -> datetime:
        """The report falls due on the day after the period, at ``send_at`` Beijing time."""
        return datetime.combine(self.end + timedelta(days=1), send_at, tzinfo=BEIJING)

    def before(self) -> "Period":
        return period_of(self.kind, self.start - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` that ``day`` lies in: the day, its week (Monday to Sunday), its calendar month."""
    if kind == ReportKind.DAILY:
        return Period(kind, day, day)
    if kind == ReportKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    first = day.replace(day=1)
    next_first = (first + timedelta(days=31)).replace(day=1)
    return Period(kind, first, next_first - timedelta(days=1))


def due_periods(kind: str, send_at: time, now: datetime, since: datetime) -> list[Period]:
    """The periods of ``kind`` whose report has fallen due by ``now``, newest first: at most ``LOOKBACK`` of them,
    none that fell due before ``since``."""
    period = period_of(kind, timezone.localtime(now, BEIJING).date()).before()
    if period.due_at(send_at) > now:
        period = period.before()
    found: list[Period] = []
    while len(found) < LOOKBACK[kind] and period.due_at(send_at) >= since:
        found.append(period)
        period = period.before()
    return found


def unsent(subscription: ReportSubscription, now: datetime) -> list[Period]:
    """The subscription's reports due by ``now`` and not claimed yet, oldest first (a 日报 before the 周报 of the
    same Sunday); one query for what was claimed."""
    due = [
        period
        for kind in subscription.kinds()
        for period in due_periods(kind, subscription.send_at, now, subscription.created_at)
    ]
    if not due:
        return []
    claimed = set(
        SentReport.objects.filter(
            government=subscription.government_id, period_start__gte=min(period.start for period in due)
        ).values_list("kind", "period_start")
    )
    order = {kind: index for index, kind in enumerate(ReportKind.values)}
    return sorted(
        (period for period in due if (period.kind, period.start) not in claimed),
        key=lambda period: (period.end, order[period.kind]),
    )


def send_due_reports(now: datetime) -> list[SentReport]:
    """Send every report that has fallen due by ``now`` and was not claimed yet, and take up those whose sender
    died or whose send is to be tried again; returns the reports this call worked on, as they ended."""
    worked = [attempt(report, now) for report in taken_up(now)]
    for subscription in subscriptions():
        for period in unsent(subscription, now):
            report = claim(subscription, period, now)
            if report is not None:
                worked.append(attempt(report, now))
    return worked


def subscriptions():
    wanted = Q(daily=True) | Q(weekly=True) | Q(monthly=True)
    return ReportSubscription.objects.filter(wanted).select_related("government")


def claim(subscription: ReportSubscription, period: Period, now: datetime) -> SentReport | None:
    """Insert the report's row, or ``None`` when another scheduler did first (the unique key refuses a second)."""
    try:
        with transaction.atomic():
            return SentReport.objects.create(
                government=subscription.government,
                kind=period.kind,
                period_start=period.start,
                period_end=period.end,
                claimed_at=now,
                available_at=now + LEASE,
                robot_status=Outcome.PENDING if subscription.robot_summary else Outcome.NOT_ASKED,
            )
    except IntegrityError:
        return None


def taken_up(now: datetime) -> Iterator[SentReport]:
    """The claimed reports whose lease ran out or whose next try has come, each taken by a conditional UPDATE that
    renews the lease, so that of two runs only one takes it. One at a time: a report is taken when it is sent."""
    ready = SentReport.objects.filter(state=SentReport.State.SENDING, available_at__lte=now)
    for pk in list(ready.order_by("available_at", "pk").values_list("pk", flat=True)):
        if ready.filter(pk=pk).update(available_at=now + LEASE):
            yield SentReport.objects.select_related("government").get(pk=pk)


def attempt(report: SentReport, now: datetime) -> SentReport:
    """Send what is still to send of ``report``; a fault of ours counts as a failed attempt, so a report that cannot
    be built is given up, and told, after ``MAX_ATTEMPTS`` instead of being tried for ever."""
    try:
        return send(report, now)
    except Exception as error:
        logger.exception("The scheduled report %s could not be sent", report)
        for way in WAYS:
            if getattr(report, f"{way}_status") == Outcome.PENDING:
                setattr(report, f"{way}_error", f"{type(error).__name__}: {error}")
        return settle(report, now, failed=True, wait_until=now + RETRY_AFTER)


def send(report: SentReport, now: datetime) -> SentReport:
    """Settle what a dead sender left under way, then send each way still pending: the email, then the robot's
    summary (the figures are read once for both)."""
    cut_off(report)
    text = None
    failed, wait_until = False, now + RETRY_AFTER
    if report.email_status == Outcome.PENDING:
        text = report_text(report, now)
        failed |= not send_email(report, text, now)
    if report.robot_status == Outcome.PENDING:
        retry, robot_frees_at = post_summary(report, text or report_text(report, now))
        failed |= retry
        if robot_frees_at is not None:
            wait_until = max(wait_until, robot_frees_at)
    return settle(report, now, failed=failed, wait_until=wait_until)


def cut_off(report: SentReport) -> None:
    """Ways a dead sender left ``sending`` may have gone out: recorded ``unknown``, never sent again."""
    for way in WAYS:
        if getattr(report, f"{way}_status") == Outcome.SENDING:
            with translation.override(settings.LANGUAGE_CODE):
                record(report, way, Outcome.UNKNOWN, str(CUT_OFF))


def record(report: SentReport, way: str, status: str, error: str = "", **fields) -> None:
    """Write one way's outcome (or its ``sending`` mark) at once: it must outlive a sender that dies next."""
    setattr(report, f"{way}_status", status)
    setattr(report, f"{way}_error", error)
    for name, value in fields.items():
        setattr(report, name, value)
    report.save(update_fields=[f"{way}_status", f"{way}_error", *fields])


def message_id(report: SentReport) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<report-{report.pk}@{domain}>"


def send_email(report: SentReport, text: ReportText, now: datetime) -> bool:
    """Email the report with its ledger to the subscription's recipients; ``False`` when it is worth trying again."""
    recipients = recipients_of(report)
    if not recipients:
        record(report, "email", Outcome.SKIPPED, str(NO_RECIPIENT))
        return True
    message = EmailMessage(
        subject=text.subject,
        body=text.email_body(),
        to=recipients,
        headers={"Message-ID": message_id(report)},
    )
    message.attach(*ledger_attachment(report, text.scope, now))
    record(report, "email", Outcome.SENDING, email_to=recipients)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        status = email_outcome(error)
        record(report, "email", status, str(error) or type(error).__name__)
        return status != Outcome.PENDING
    record(report, "email", Outcome.SENT)
    return True


def recipients_of(report: SentReport) -> list[str]:
    subscription = ReportSubscription.objects.filter(government=report.government_id).first()
    return subscription.recipients() if subscription is not None else []


def email_outcome(error: Exception) -> str:
    """What a mail server's error means for the report: refused for good (a 5xx about every address or the message
    itself), unknown (no answer once the message went out: it may have it), else worth trying again."""
    if isinstance(error, AnswerLost):
        return Outcome.UNKNOWN
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused_for_good = all(code >= 500 for code, _message in error.recipients.values())
        return Outcome.FAILED if refused_for_good else Outcome.PENDING
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        return Outcome.FAILED
    return Outcome.PENDING


def post_summary(report: SentReport, text: ReportText) -> tuple[bool, datetime | None]:
    """Post the summary to the group robot of the government's office, within the provider's limit as every message
    to the robot is (``limits.reserve``). Returns whether it is worth trying again (a failed attempt), and when
    to, if the robot must be waited for (no slot left, or throttled: no attempt used)."""
    office = report.government.supervising_office_id
    robot = Robot.of_department(office)
    if robot is None:
        record(report, "robot", Outcome.SKIPPED, str(NO_ROBOT if office else NO_OFFICE))
        return False, None
    destination = robot_destination(robot)
    with transaction.atomic():
        slots, frees_at, reservation = reserve(destination, timezone.now(), lease())
    if not slots:
        return False, frees_at
    record(report, "robot", Outcome.SENDING)
    try:
        answer = RobotChannel.post(office, text.robot_title, text.robot_text(), [])
    except Throttled as error:
        until = timezone.now() + timedelta(seconds=error.retry_after)
        pause(destination.key, until)
        record(report, "robot", Outcome.PENDING, str(error), robot_answer=error.answer)
        return False, until
    except DeliveryError as error:
        status = robot_outcome(error)
        record(report, "robot", status, str(error), robot_answer=error.answer)
        return status == Outcome.PENDING, None
    finally:
        with transaction.atomic():
            seen(reservation, timezone.now())
    record(report, "robot", Outcome.SENT, robot_answer=str(answer))
    return False, None


def robot_outcome(error: DeliveryError) -> str:
    """A group message is never sent again once the provider may have it: a repeat reaches the whole group twice."""
    if isinstance(error, UnknownOutcome):
        return Outcome.UNKNOWN
    if isinstance(error, TransientError):
        return Outcome.PENDING
    return Outcome.FAILED


def settle(report: SentReport, now: datetime, *, failed: bool, wait_until: datetime) -> SentReport:
    """Finish the report when every way has its outcome; else count a failed attempt and wait for the next try, or
    give up the ways without one once the attempts are used up (failed, or unknown for one a fault of ours broke off
    during its send). A report finished or given up with a way that failed or may not have gone out is told to the
    administrators."""
    report.attempts += failed
    open_ways = [way for way in WAYS if getattr(report, f"{way}_status") not in FINAL]
    if open_ways and report.attempts < MAX_ATTEMPTS:
        report.available_at = wait_until
        report.save(update_fields=["attempts", "available_at", "email_error", "robot_error"])
        return report
    for way in open_ways:
        broken_off = getattr(report, f"{way}_status") == Outcome.SENDING
        setattr(report, f"{way}_status", Outcome.UNKNOWN if broken_off else Outcome.FAILED)
    report.state = SentReport.State.GIVEN_UP if open_ways else SentReport.State.FINISHED
    report.finished_at = timezone.now()
    report.save()
    tell_administrators(report)
    return report


def tell_administrators(report: SentReport) -> None:
    """Someone must look: a report that failed, was given up, or may not have reached its recipients."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("%(way)s: %(status)s. %(error)s")
            % {
                "way": SentReport._meta.get_field(f"{way}_status").verbose_name,
                "status": Outcome(getattr(report, f"{way}_status")).label,
                "error": getattr(report, f"{way}_error"),
            }
            for way in WAYS
            if getattr(report, f"{way}_status") in TOLD
        ]
        if lines:
            body = "\n".join([str(report), report.get_state_display(), *lines])
            mail_admins(_("Scheduled reports need attention"), body, fail_silently=True)
