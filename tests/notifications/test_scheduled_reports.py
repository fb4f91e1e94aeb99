"""Scheduled reports (日报, 周报, 月报) with the clock moved by ``time_machine``, a real SMTP server and real robot
receivers: each report goes out at its time, once, with the ledger attached and a summary to the government office's
robot; reports missed while the scheduler was down go out once when it is back; two schedulers at once send each
report once (PostgreSQL); a sender that died, a mail server that greylists or refuses, and the admin and the two
schedulers' wiring."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time, timedelta

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from django.db import connection, connections
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from incidents.models import AuditSeal
from incidents.reports.ledger import LEDGER_LANGUAGE
from notifications import scheduled_reports
from notifications.models import ReportKind, ReportSubscription, Robot, SentReport
from notifications.report_texts import SUBJECTS
from notifications.scheduled_reports import LEASE, RETRY_AFTER, due_periods, send_due_reports
from opinion_tracker import scheduler

from ..conftest import beijing

Outcome = SentReport.Outcome
OFFICE_MAILBOX = "office@example.gov.cn"
ADMIN = "admin@example.gov.cn"


def at(moment):
    """One run of the schedulers' job at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return send_due_reports(moment)


def in_chinese(words: str) -> str:
    """``words`` as the reports have them: they are filed in the ledger's language."""
    with translation.override(LEDGER_LANGUAGE):
        return _(words)


def subject_of(kind, government, **period) -> str:
    with translation.override(LEDGER_LANGUAGE):
        return SUBJECTS[kind] % {"government": government.name, **period}


@pytest.fixture
def office_robot(org, providers):
    """The government office's 钉钉 robot, with 加签, known to the receiver."""
    providers.dingtalk_tokens["dt-office"] = "SEC-office"
    return Robot.objects.create(department=org.office, provider="dingtalk", token="dt-office", secret="SEC-office")


@pytest.fixture
def subscribe(org, office_robot, smtp):
    """The city's subscription to ``kinds`` from ``created_at``: by email to the mayor and the office's mailbox, and
    a summary to the office's robot."""

    def _subscribe(created_at, kinds=tuple(ReportKind.values), **fields):
        subscription = ReportSubscription.objects.create(
            government=org.government,
            created_at=created_at,
            addresses=f"{OFFICE_MAILBOX}\n",
            **{kind: kind in kinds for kind in ReportKind.values},
            **fields,
        )
        subscription.people.set([org.mayor])
        return subscription

    return _subscribe


def reports(smtp):
    return [message for message in smtp.messages if ADMIN not in message["To"]]


def told(smtp):
    return smtp.to(ADMIN)


def subject(message) -> str:
    """The subject as sent: a long one is folded onto the header's next line, which the parser reads as a space."""
    return message["Subject"].strip()


def ledger_of(message):
    [attachment] = message.iter_attachments()
    return attachment.get_filename(), load_workbook(io.BytesIO(attachment.get_content())).active


def test_a_daily_report_goes_out_at_eight_once_with_the_ledger_and_a_summary_to_the_office_robot(
    org, log, subscribe, smtp, providers
):
    subscribe(beijing(2026, 3, 10, 9, 0))
    incident = log(title="网传地铁停运", discovered_at=beijing(2026, 3, 10, 10, 0))
    log(title="次日事件", discovered_at=beijing(2026, 3, 11, 7, 0))  # the next day's: not in the 日报

    assert at(beijing(2026, 3, 11, 7, 59)) == []
    [report] = at(beijing(2026, 3, 11, 8, 0))
    assert at(beijing(2026, 3, 11, 8, 5)) == []
    assert at(beijing(2026, 3, 12, 7, 0)) == []

    assert (report.kind, report.period_start, report.period_end) == ("daily", date(2026, 3, 10), date(2026, 3, 10))
    assert (report.state, report.email_status, report.robot_status) == ("finished", "sent", "sent")
    [message] = reports(smtp)
    assert subject(message) == subject_of(ReportKind.DAILY, org.government, day="2026-03-10")
    assert "江城市人民政府" in subject(message)
    assert "2026-03-10" in subject(message)
    assert sorted(a.strip() for a in message["To"].split(",")) == sorted([org.mayor.email, OFFICE_MAILBOX])
    body = message.get_body(preferencelist=("plain",)).get_content()
    incidents = in_chinese("Incidents: %(incidents)d, of which %(responded)d responded publicly (%(rate)s)")
    assert incidents % {"incidents": 1, "responded": 0, "rate": "0%"} in body
    seal = AuditSeal.objects.get(day=date(2026, 3, 10))
    sealed = in_chinese("Audit seal of %(day)s: %(digest)s (%(chains)d chains)")
    assert sealed % {"day": "2026-03-10", "digest": seal.digest, "chains": seal.chains} in body  # every chain's head

    name, sheet = ledger_of(message)
    assert name.endswith("（20260310-20260310）.xlsx")
    assert "江城市人民政府" in sheet["A1"].value
    assert "2026-03-10" in sheet["A1"].value
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == [incident.title]

    [summary] = providers.taken("dingtalk")
    assert summary["markdown"]["title"] == subject(message)  # the government's name has nothing to make inert
    assert seal.digest in summary["markdown"]["text"]
    assert f"department={org.government.pk}" in summary["markdown"]["text"]  # the compliance page, a sign-in
    assert summary["at"] == {"atMobiles": [], "isAtAll": False}
    assert told(smtp) == []


def test_a_weekly_report_on_monday_covers_monday_to_sunday(org, log, subscribe, smtp, providers):
    subscribe(beijing(2026, 3, 9, 9, 0), kinds=[ReportKind.WEEKLY])
    log(title="周日事件", discovered_at=beijing(2026, 3, 15, 23, 0))
    log(title="下周一事件", discovered_at=beijing(2026, 3, 16, 0, 30))

    assert at(beijing(2026, 3, 15, 23, 55)) == []
    assert at(beijing(2026, 3, 16, 7, 55)) == []
    [report] = at(beijing(2026, 3, 16, 8, 0))
    assert at(beijing(2026, 3, 17, 8, 0)) == []

    assert (report.period_start, report.period_end) == (date(2026, 3, 9), date(2026, 3, 15))
    [message] = reports(smtp)
    assert subject(message) == subject_of(ReportKind.WEEKLY, org.government, start="2026-03-09", end="2026-03-15")
    _name, sheet = ledger_of(message)
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["周日事件"]
    assert len(providers.taken("dingtalk")) == 1


def test_a_monthly_report_on_the_first_covers_the_calendar_month(org, log, subscribe, smtp, providers):
    subscribe(beijing(2026, 3, 15), kinds=[ReportKind.MONTHLY], send_at=time(7, 30))
    log(title="二月事件", discovered_at=beijing(2026, 2, 28, 12, 0))
    log(title="三月事件", discovered_at=beijing(2026, 3, 31, 23, 59))

    assert at(beijing(2026, 4, 1, 7, 25)) == []
    [report] = at(beijing(2026, 4, 1, 7, 30))
    assert at(beijing(2026, 4, 2, 7, 30)) == []

    assert (report.period_start, report.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    [message] = reports(smtp)
    assert subject(message) == subject_of(ReportKind.MONTHLY, org.government, month=3, year=2026)
    _name, sheet = ledger_of(message)
    assert "2026-03-01" in sheet["A1"].value
    assert "2026-03-31" in sheet["A1"].value
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["三月事件"]


DOWN_FROM, BACK_AT = beijing(2026, 5, 29, 7, 0), beijing(2026, 6, 2, 9, 0)  # Friday before 8:00 to Tuesday
MISSED = [
    ("daily", date(2026, 5, 28)),
    ("daily", date(2026, 5, 29)),
    ("daily", date(2026, 5, 30)),
    ("daily", date(2026, 5, 31)),
    ("weekly", date(2026, 5, 25)),
    ("monthly", date(2026, 5, 1)),
    ("daily", date(2026, 6, 1)),
]


def test_reports_missed_while_the_scheduler_was_down_go_out_once_each_when_it_is_back(org, subscribe, smtp, providers):
    subscribe(beijing(2026, 5, 28, 9, 0))
    assert at(beijing(2026, 5, 28, 9, 0)) == []  # Thursday's 日报 of Wednesday fell due before the subscription
    assert at(DOWN_FROM) == []

    sent = at(BACK_AT)
    assert at(BACK_AT + timedelta(minutes=5)) == []
    assert at(beijing(2026, 6, 3, 7, 0)) == []

    assert [(report.kind, report.period_start) for report in sent] == MISSED  # oldest first, the 日报 before the 周报
    assert {report.state for report in sent} == {"finished"}
    assert len(reports(smtp)) == len({subject(message) for message in reports(smtp)}) == 7
    assert len(providers.taken("dingtalk")) == 7
    assert SentReport.objects.count() == 7


def test_a_scheduler_down_longer_catches_up_a_week_five_weeks_and_a_quarter():
    now, since = beijing(2026, 6, 2, 9, 0), beijing(2025, 1, 1)
    daily = due_periods(ReportKind.DAILY, time(8), now, since)
    weekly = due_periods(ReportKind.WEEKLY, time(8), now, since)
    monthly = due_periods(ReportKind.MONTHLY, time(8), now, since)
    assert [period.start for period in daily] == [date(2026, 6, 1) - timedelta(days=n) for n in range(7)]
    assert [period.start for period in weekly] == [date(2026, 5, 25) - timedelta(weeks=n) for n in range(5)]
    assert [(period.start, period.end) for period in monthly] == [
        (date(2026, 5, 1), date(2026, 5, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    before_eight = due_periods(ReportKind.DAILY, time(8), beijing(2026, 6, 2, 7, 59), since)
    assert before_eight[0].start == date(2026, 5, 31)  # Monday's 日报 is not due yet


def in_thread(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connections.close_all()

    return run


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent inserts need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_each_report_once(org, subscribe, smtp, providers):
    subscribe(beijing(2026, 5, 28, 9, 0))
    both_ready = threading.Barrier(2)

    def scheduler_run():
        both_ready.wait(timeout=10)
        return send_due_reports(BACK_AT)

    with time_machine.travel(BACK_AT, tick=False), ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(in_thread(scheduler_run)) for _ in range(2)]
        worked = [report for run in runs for report in run.result(timeout=120)]

    assert sorted((report.kind, report.period_start) for report in worked) == sorted(MISSED)
    assert len(reports(smtp)) == len({subject(message) for message in reports(smtp)}) == 7
    assert len(providers.taken("dingtalk")) == 7
    assert SentReport.objects.filter(state="finished").count() == 7


EIGHT = beijing(2026, 3, 11, 8, 0)


def claimed(org, at_moment, **fields):
    """The 3月10日 日报 as a sender that died left it: claimed at ``at_moment``, its lease running."""
    return SentReport.objects.create(
        government=org.government,
        kind="daily",
        period_start=date(2026, 3, 10),
        period_end=date(2026, 3, 10),
        claimed_at=at_moment,
        available_at=at_moment + LEASE,
        **fields,
    )


def test_a_report_claimed_by_a_sender_that_died_before_sending_goes_out_once_its_lease_runs_out(
    org, subscribe, smtp, providers
):
    subscribe(beijing(2026, 3, 10, 9, 0))
    claimed(org, EIGHT)

    assert at(EIGHT + timedelta(minutes=5)) == []  # still the other sender's
    [report] = at(EIGHT + LEASE)
    assert at(EIGHT + LEASE + timedelta(minutes=5)) == []

    assert (report.state, report.email_status, report.robot_status) == ("finished", "sent", "sent")
    assert len(reports(smtp)) == len(providers.taken("dingtalk")) == 1


def test_a_report_whose_sender_died_during_its_email_is_not_sent_again_and_the_administrators_are_told(
    org, subscribe, smtp, providers
):
    subscribe(beijing(2026, 3, 10, 9, 0))
    claimed(org, EIGHT, email_status=Outcome.SENDING)

    [report] = at(EIGHT + LEASE)

    assert (report.state, report.email_status, report.robot_status) == ("finished", "unknown", "sent")
    assert reports(smtp) == [], "the mail server may have it: not sent twice"
    assert len(providers.taken("dingtalk")) == 1
    [mail] = told(smtp)
    with translation.override("zh-hans"):
        assert subject(mail).endswith(_("Scheduled reports need attention"))
    assert "2026-03-10" in mail.get_content()


def test_a_greylisting_mail_server_is_tried_again_and_the_robot_posted_once(org, subscribe, smtp, providers):
    subscription = subscribe(beijing(2026, 3, 10, 9, 0), kinds=[ReportKind.DAILY])
    subscription.people.clear()
    smtp.greylist.add(OFFICE_MAILBOX)

    [first] = at(EIGHT)
    assert (first.state, first.email_status, first.robot_status, first.attempts) == ("sending", "pending", "sent", 1)
    assert at(EIGHT + RETRY_AFTER - timedelta(minutes=1)) == []
    [again] = at(EIGHT + RETRY_AFTER)

    assert (again.state, again.email_status, again.attempts) == ("finished", "sent", 1)
    assert len(reports(smtp)) == len(providers.taken("dingtalk")) == 1
    assert told(smtp) == []


def test_an_address_refused_for_good_fails_at_once_and_the_administrators_are_told(org, subscribe, smtp, providers):
    subscription = subscribe(beijing(2026, 3, 10, 9, 0), kinds=[ReportKind.DAILY], robot_summary=False)
    subscription.people.clear()
    smtp.refuse.add(OFFICE_MAILBOX)

    [report] = at(EIGHT)

    assert (report.state, report.email_status, report.robot_status) == ("finished", "failed", "not_asked")
    assert "550" in report.email_error
    assert providers.received == []
    assert len(told(smtp)) == 1
    assert at(EIGHT + RETRY_AFTER) == []


def test_a_government_office_without_a_robot_still_gets_its_email(org, subscribe, smtp, office_robot):
    office_robot.delete()
    subscribe(beijing(2026, 3, 10, 9, 0), kinds=[ReportKind.DAILY])

    [report] = at(EIGHT)

    assert (report.state, report.email_status, report.robot_status) == ("finished", "sent", "skipped")
    assert len(reports(smtp)) == 1


def test_a_robot_at_its_limit_is_waited_for_without_using_an_attempt(org, subscribe, smtp, providers, settings):
    subscribe(beijing(2026, 3, 10, 9, 0), kinds=[ReportKind.DAILY])
    settings.ROBOT_MESSAGES_PER_MINUTE = 0  # every slot of the minute taken by escalations

    [first] = at(EIGHT)
    assert (first.state, first.email_status, first.robot_status, first.attempts) == ("sending", "sent", "pending", 0)
    assert providers.received == []
    settings.ROBOT_MESSAGES_PER_MINUTE = 20
    [again] = at(EIGHT + RETRY_AFTER)

    assert (again.state, again.robot_status, again.attempts) == ("finished", "sent", 0)
    assert len(reports(smtp)) == len(providers.taken("dingtalk")) == 1


def test_a_report_that_cannot_be_built_is_given_up_after_its_attempts_and_told(
    org, subscribe, smtp, providers, monkeypatch
):
    subscribe(beijing(2026, 3, 10, 9, 0), kinds=[ReportKind.DAILY])
    monkeypatch.setattr(scheduled_reports, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(scheduled_reports, "report_text", lambda report, now: 1 / 0)

    [first] = at(EIGHT)
    assert (first.state, first.attempts) == ("sending", 1)
    [last] = at(EIGHT + RETRY_AFTER)

    assert (last.state, last.email_status, last.robot_status) == ("given_up", "failed", "failed")
    assert last.email_error == "ZeroDivisionError: division by zero"
    assert reports(smtp) == []
    assert providers.received == []
    assert len(told(smtp)) == 1
    assert at(EIGHT + 2 * RETRY_AFTER) == []


def test_the_admin_keeps_subscriptions_to_governments_with_valid_addresses(admin_client, org):
    url = reverse("admin:notifications_reportsubscription_add")
    fields = {"send_at": "08:00", "daily": "on", "robot_summary": "on", "people": [org.mayor.pk]}

    wrong = admin_client.post(url, {**fields, "government": org.department.pk, "addresses": "办公室\n"})
    assert set(wrong.context["adminform"].form.errors) == {"government", "addresses"}
    answer = admin_client.post(url, {**fields, "government": org.government.pk, "addresses": OFFICE_MAILBOX})
    assert answer.status_code == 302

    subscription = ReportSubscription.objects.get(government=org.government)
    assert subscription.kinds() == ["daily"]
    assert subscription.recipients() == [org.mayor.email, OFFICE_MAILBOX]
    listed = admin_client.get(reverse("admin:notifications_reportsubscription_changelist")).content.decode()
    assert org.government.name in listed


def test_both_schedulers_run_the_reports(monkeypatch):
    """The embedded scheduler has the job (at start, then every five minutes); beat schedules the Celery task."""
    monkeypatch.setattr(BackgroundScheduler, "start", lambda self: None)
    job = scheduler.start_scheduler().get_job("send_due_reports")
    assert job.args == (send_due_reports,)
    assert str(job.trigger.fields[job.trigger.FIELD_NAMES.index("minute")]) == "*/5"

    from opinion_tracker.celery import app

    app.finalize()
    tasks = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert tasks["notifications.tasks.send_scheduled_reports"]["options"]["queue"] == "delivery"
