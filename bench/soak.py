"""Soak of the production shape with faults on a schedule (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/soak.py [--minutes 10] [--smoke]

What delivery promises (docs/rules.md) is tested case by case in tests/notifications/test_delivery_faults.py
and tests/e2e/test_processes.py; this runs the whole shape for a while with the faults of a bad day coming one
after another, and counts what came out. It measures, per channel: how many deliveries were due (the
notification rows not skipped), how many were sent, ended ``unknown`` or ``failed``, how many the
receivers got more than once, how many were lost (neither sent, nor ended with a fallback copy on the
person's next channel and a mail to the administrators: must be 0), and how long after its step each
sent copy went out (maximum and 95th percentile).

The shape, all on 127.0.0.1 and started as plain processes (tests/processes.py): Redis on a free port,
PostgreSQL database ``opinion_tracker_soak`` (dropped and made again), gunicorn, two Celery workers on
the queues enforcement and delivery, Celery beat every 2 s, a real SMTP server (tests/mail.py) and HTTP
receivers behaving like the 钉钉 and 企业微信 robots and an SMS gateway (tests/receivers.py).

The data: a city government with its office and publicity department and three departments, two of
them with a group robot (钉钉, 企业微信); every leader has an email address and a mobile number. Each
department's duty officer logs an incident through the API in turn, one every 3 s. Its internal report
is due 2 s after discovery, and the government's ladder then tells, through in-app and:
- at the deadline, the department's two leaders by group robot and email;
- 10 s later, the leaders of the office and of the publicity department by SMS;
- 20 s later, the mayor by email.
Each step leaves the person a channel to fall back on. SMS caps per number are lifted (the mayor would
hit the daily cap of 10 within a minute); the robots keep their 20 messages a minute.

The faults, at times scaled to the run (the times in parentheses are those of a 10-minute run):
- a worker SIGKILLed and a new one started (every 2 minutes);
- Redis stopped, its queue lost, and started again 20 s later (once, at 5:30);
- the 钉钉 receiver answering 130101 "send too fast" (3 minutes from 1:00), after which the tracker
  pauses that robot for DingTalk's 10-minute penalty;
- the 企业微信 receiver taking each message and answering after 4 s, past the client's 2 s timeout
  (90 s from 3:00): unknown outcomes, never sent again to a group;
- the SMTP server keeping each message and answering after 8 s, past the client's 5 s timeout (60 s
  from 7:30): unknown outcomes, each mail sent once more with the same Message-ID. The worker killed
  at 8:00 is then most likely in the middle of sending mail: those sends are cut off.
A process that exits by itself (a Celery worker can, when Redis goes away under it) is started again
at once, as docker compose's ``restart: unless-stopped`` would, and noted on the timeline.

Then logging stops and the system settles (until nothing is pending and the last incidents' ladders have run
out, for at most as long as the run or 3 minutes), and the figures are computed from the database, the
receivers and the mailbox. The processes' logs stay in a directory under /tmp, printed at the start (a smoke run
that passes removes it).

``--smoke``: the same shape at a tiny size, which ``make test`` runs so the soak cannot rot unseen: 24 s of logging
(8 incidents), then settling for at most a minute, in a database of its own, ``opinion_tracker_soak_smoke`` (so
it never collides with a full run). Its times are not judged; it exits non-zero if a notification was lost, is
still pending, or reached its receiver more often than the rules allow (the ``## Problems`` the report lists). Its
faults come one after another, each recovered from within seconds: a worker SIGKILLed and a new one started (at
0:06), the 企业微信 receiver answering past the client's timeout (0:07 to 0:17), and Redis stopped, its queue lost,
and started again 5 s later (0:18). It leaves out 钉钉's "send too fast": the tracker then pauses that robot for
DingTalk's 10 minutes, which no tiny run can wait out (its messages would end the run pending). It also leaves out
the slow SMTP server. Each mail would then hold a delivery thread for its 5 s timeout, and its second try another
5 s, which makes the run longer but adds no step the slow 企业微信 receiver does not already go through.
tests/notifications/test_delivery_faults.py covers both faults case by case.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from _environment import free_port, remake_database, use_database

SMOKE = "--smoke" in sys.argv  # read before Django is set up: the smoke run has a database of its own
DATABASE = "opinion_tracker_soak_smoke" if SMOKE else "opinion_tracker_soak"
SECRET_KEY = "soak-only-not-a-secret"
DATABASE_URL = use_database(DATABASE, SECRET_KEY=SECRET_KEY)

import requests  # noqa: E402  (Django must be set up first)
from django.conf import settings  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from incidents.models import Department, Obligation, ObligationPolicy, Person, Role  # noqa: E402
from incidents.services.people import set_roles  # noqa: E402
from notifications.channels.group_text import inert  # noqa: E402
from notifications.delivery import CUT_OFF  # noqa: E402
from notifications.models import DeliveryAttempt, EscalationPolicy, EscalationStep, Notification, Robot  # noqa: E402
from notifications.steps import step_label  # noqa: E402
from tests.mail import Mailbox, start_smtp_server  # noqa: E402
from tests.processes import Processes, wait_for  # noqa: E402
from tests.receivers import Providers, start_receivers  # noqa: E402

LOG_EVERY = 3  # seconds between incidents
ADMIN = "admin@soak.gov.cn"
DINGTALK_TOKEN, DINGTALK_SECRET = "soak-dingtalk-token", "SECsoak-dingtalk-secret"
WECOM_KEY = "soak-wecom-key"
SMS_KEY, SMS_SECRET = "LTAI-soak", "soak-sms-secret"
TITLES = ["网传{n}号路段塌陷", "网传{n}号小区停水", "网传{n}号学校食堂问题", "网传{n}号河道污染"]


# The organisation ------------------------------------------------------------------------------------


@dataclass
class Organisation:
    departments: list[Department]  # where incidents are logged, in turn
    tokens: dict[int, str]  # department id → its duty officer's API token


def fresh_database():
    remake_database(DATABASE)


def leader(username, name, department, phone) -> Person:
    person = Person.objects.create(
        username=username, display_name=name, email=f"{username}@soak.gov.cn", phone=phone, department=department
    )
    set_roles(person, [Role.LEADER])
    return person


def department(code, name, parent, leaders, **fields) -> Department:
    """A department with its principal (and responsible) leader: ``leaders`` are (username, name, phone)."""
    unit = Department.objects.create(code=code, name=name, parent=parent, **fields)
    people = [leader(username, person, unit, phone) for username, person, phone in leaders]
    unit.principal_leader = people[0]
    unit.responsible_leader = people[1] if len(people) > 1 else None
    unit.save()
    return unit


def duty_officer_token(unit) -> str:
    person = Person.objects.create(username=f"duty-{unit.code}", display_name=f"{unit.name}值班员", department=unit)
    set_roles(person, [Role.DUTY_OFFICER])
    return Token.objects.create(user=person).key


def organisation() -> Organisation:
    government = department("gov", "江城市人民政府", None, [("mayor", "市长李强", "13900000001")], is_government=True)
    office = department(
        "office",
        "市政府办公室",
        government,
        [("office-head", "办公室主任赵敏", "13900000002"), ("office-deputy", "办公室副主任钱进", "13900000003")],
    )
    publicity = department("publicity", "市委宣传部", government, [("publicity-head", "宣传部长孙红", "13900000004")])
    government.supervising_office, government.publicity_department = office, publicity
    government.save()
    departments = [
        department(
            code,
            name,
            government,
            [
                (f"{code}-head", f"{short}局长", f"1380000{index}001"),
                (f"{code}-deputy", f"{short}副局长", f"1380000{index}002"),
            ],
        )
        for index, (code, name, short) in enumerate(
            [
                ("transport", "市交通运输局", "交通"),
                ("housing", "市住房和城乡建设局", "住建"),
                ("ecology", "市生态环境局", "环境"),
            ]
        )
    ]
    Robot.objects.create(
        department=departments[0],
        provider="dingtalk",
        name="交通局值班群",
        token=DINGTALK_TOKEN,
        secret=DINGTALK_SECRET,
    )
    Robot.objects.create(department=departments[1], provider="wecom", name="住建局值班群", token=WECOM_KEY)
    ladder(government)
    return Organisation(departments, {unit.pk: duty_officer_token(unit) for unit in departments})


def ladder(government):
    """General incidents: the internal report due 2 s after discovery, then three levels (see the docstring)."""
    ObligationPolicy.objects.create(
        government=government,
        severity="general",
        kind="internal_report",
        clock="discovery",
        offset=timedelta(seconds=2),
    )
    policy = EscalationPolicy.objects.create(government=government, severity="general")
    for code, seconds, audiences, channels in [
        ("overdue_l1", 0, ["principal_leader", "responsible_leader"], ["in_app", "robot", "email"]),
        ("overdue_l2", 10, ["office_leaders", "publicity_leaders"], ["in_app", "sms"]),
        ("overdue_l3", 20, ["government_leader"], ["in_app", "email"]),
    ]:
        EscalationStep.objects.create(
            policy=policy, code=code, offset=timedelta(seconds=seconds), audiences=audiences, channels=channels
        )


# The shape and its faults ----------------------------------------------------------------------------


class Stack:
    """The processes, the receivers and the mailbox, and the faults done to them."""

    def __init__(self, log_dir: Path):
        self.providers = Providers(
            dingtalk_tokens={DINGTALK_TOKEN: DINGTALK_SECRET}, wecom_keys={WECOM_KEY}, sms_keys={SMS_KEY: SMS_SECRET}
        )
        self.receivers, receivers_url = start_receivers(self.providers)
        self.redis_port, smtp_port, self.web_port = free_port(), free_port(), free_port()
        self.mailbox = Mailbox(port=smtp_port)
        self.smtp = start_smtp_server(self.mailbox, smtp_port)
        self.processes = Processes(log_dir, environment(receivers_url, smtp_port, self.redis_port, self.web_port))
        self.workers, self.started_workers = [], 0
        self.exits = []  # processes that exited by themselves, in words
        self.web = requests.Session()

    def start(self):
        self.processes.redis(self.redis_port)
        self.processes.gunicorn(self.web_port)
        self.start_worker()
        self.start_worker()
        self.processes.beat()
        wait_for(self.healthy, "/healthz to answer 200 (a first pass)")

    def start_worker(self) -> str:
        self.started_workers += 1
        name = f"worker-{self.started_workers}"
        self.processes.worker(name)
        self.workers.append(name)
        return name

    def stop(self):
        for name in ["beat", *self.workers, "gunicorn", "redis"]:
            if name in self.processes.running:
                self.processes.stop(name)
        self.smtp.stop()
        self.receivers.shutdown()

    def supervise(self) -> list[str]:
        """Start again any process that exited by itself, as a supervisor (docker compose's ``restart:
        unless-stopped``) would; returns what happened, in words."""
        restarts = {
            "beat": self.processes.beat,
            "gunicorn": lambda: self.processes.gunicorn(self.web_port),
            "redis": lambda: self.processes.redis(self.redis_port),
        }
        notes = []
        for name, process in list(self.processes.running.items()):
            if process.poll() is None:
                continue
            del self.processes.running[name]
            if name in self.workers:
                self.workers.remove(name)
                notes.append(f"{name} exited by itself (code {process.returncode}); started {self.start_worker()}")
            else:
                restarts[name]()
                notes.append(f"{name} exited by itself (code {process.returncode}); started again")
        self.exits += notes
        return notes

    def kill_worker(self) -> str:
        name = self.workers.pop(0)
        pid = self.processes.running[name].pid
        self.processes.stop(name, signal.SIGKILL)
        return f"SIGKILL {name} (pid {pid}); started {self.start_worker()}"

    def stop_redis(self) -> str:
        self.processes.stop("redis")
        return "Redis stopped (no persistence: its queue is lost)"

    def start_redis(self) -> str:
        self.processes.redis(self.redis_port)
        return "Redis started again, empty"

    def throttle_dingtalk(self, seconds) -> str:
        self.providers.throttle_until["dingtalk"] = time.time() + seconds
        return f"钉钉 receiver answers 130101 (send too fast) for {seconds:.0f} s"

    def dingtalk_throttle_over(self) -> str:
        return "钉钉 receiver no longer throttles"

    def slow_wecom(self, seconds) -> str:
        self.providers.delay["wecom"] = seconds
        if not seconds:
            return "企业微信 receiver answers at once again"
        return f"企业微信 receiver takes each message and answers after {seconds:.0f} s (client timeout 2 s)"

    def slow_smtp(self, seconds) -> str:
        self.mailbox.answer_after = seconds
        if not seconds:
            return "SMTP server answers at once again"
        return f"SMTP server keeps each message and answers after {seconds:.0f} s (client timeout 5 s)"

    def log_incident(self, org: Organisation, number: int) -> bool:
        unit = org.departments[number % len(org.departments)]
        title = TITLES[number % len(TITLES)].format(n=number)
        try:
            answer = self.web.post(
                f"http://127.0.0.1:{self.web_port}/api/v1/incidents/",
                json={
                    "title": title,
                    "severity": "general",
                    "department": unit.pk,
                    "discovered_at": timezone.now().isoformat(),
                },
                headers={"Authorization": f"Token {org.tokens[unit.pk]}"},
                timeout=10,
            )
        except requests.RequestException:
            return False
        return answer.status_code == 201

    def healthy(self) -> bool:
        try:
            return self.web.get(f"http://127.0.0.1:{self.web_port}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def environment(receivers_url, smtp_port, redis_port, web_port) -> dict:
    """The tracker's environment: every provider pointed at the receivers, short timeouts and leases."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONUNBUFFERED": "1",  # a killed worker's last lines reach its log
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "5",
        "DEFAULT_FROM_EMAIL": "tracker@soak.gov.cn",
        "ADMINS": f"系统管理员 <{ADMIN}>",
        "DINGTALK_BASE_URL": receivers_url,
        "WECOM_BASE_URL": receivers_url,
        "SMS_GATEWAY_URL": f"{receivers_url}/sms/send",
        "SMS_ACCESS_KEY_ID": SMS_KEY,
        "SMS_ACCESS_KEY_SECRET": SMS_SECRET,
        "SMS_SIGN_NAME": "江城市政府",
        "SMS_TEMPLATE_CODE": "SMS_SOAK",
        "SMS_DAILY_CAP_PER_NUMBER": "1000000",
        "OUTBOUND_TIMEOUT": "2",
        "ENFORCEMENT_INTERVAL_SECONDS": "2",
        "NOTIFICATION_LEASE_SECONDS": "20",
        "NOTIFICATION_RETRY_BASE_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    }


@dataclass(order=True)
class Fault:
    at: float  # seconds after the start
    action: object = field(compare=False)  # returns what it did, in words


def schedule(stack: Stack, seconds: float) -> list[Fault]:
    """The faults of a run of ``seconds``: the times of a 10-minute run, scaled to shorter ones."""
    scale = min(1.0, seconds / 600)
    kill_every = max(30.0, 120 * scale)
    faults = [Fault(kill_every * k, stack.kill_worker) for k in range(1, int(seconds // kill_every) + 1)]
    faults += stretch(
        0.1 * seconds, 180 * scale, lambda: stack.throttle_dingtalk(180 * scale), stack.dingtalk_throttle_over
    )
    faults += stretch(0.3 * seconds, 90 * scale, lambda: stack.slow_wecom(4), lambda: stack.slow_wecom(0))
    faults += stretch(0.55 * seconds, max(5.0, 20 * scale), stack.stop_redis, stack.start_redis)
    faults += stretch(0.75 * seconds, 60 * scale, lambda: stack.slow_smtp(8), lambda: stack.slow_smtp(0))
    return sorted(fault for fault in faults if fault.at < seconds)


def smoke_schedule(stack: Stack, seconds: float) -> list[Fault]:
    """The faults of a smoke run (the module docstring says which it leaves out, and why), one after another.
    The slow stretch lasts 10 s so that at least one 企业微信 message (one every 9 s) falls inside it."""
    faults = [Fault(0.25 * seconds, stack.kill_worker)]
    faults += stretch(0.3 * seconds, 10, lambda: stack.slow_wecom(4), lambda: stack.slow_wecom(0))
    faults += stretch(0.75 * seconds, 5, stack.stop_redis, stack.start_redis)
    return sorted(faults)


def stretch(start, length, begin, end) -> list[Fault]:
    return [Fault(start, begin), Fault(start + length, end)]


@dataclass(frozen=True)
class Run:
    """How long incidents are logged, the faults on the way, and how long the system may then settle."""

    seconds: float
    schedule: Callable[[Stack, float], list[Fault]]
    settling: float


def full_run(minutes: float) -> Run:
    """The soak: the faults of a bad day, then settling for as long as the run, and at least 3 minutes."""
    return Run(minutes * 60, schedule, max(180.0, minutes * 60))


SMOKE_RUN = Run(24, smoke_schedule, 60)


# The run ---------------------------------------------------------------------------------------------


class Timeline:
    """What happened when, in seconds since the start and by the clock (to find it in the logs)."""

    def __init__(self):
        self.started = time.monotonic()
        self.lines = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def note(self, text):
        seconds = self.elapsed()
        line = f"t+{int(seconds // 60):02d}:{seconds % 60:04.1f} ({datetime.now():%H:%M:%S}) {text}"
        self.lines.append(line)
        print(line, flush=True)


def soak(stack: Stack, org: Organisation, seconds: float, faults: list[Fault], timeline: Timeline) -> tuple[int, int]:
    """Log an incident every ``LOG_EVERY`` seconds for ``seconds``, doing each fault at its time, and
    note when /healthz changes its answer; returns the incidents sent to the API and those it refused."""
    number = refused = 0
    healthy = True
    while (now := timeline.elapsed()) < seconds:
        while faults and faults[0].at <= now:
            timeline.note(faults.pop(0).action())
        if now >= number * LOG_EVERY:
            if not stack.log_incident(org, number):
                refused += 1
                timeline.note(f"the API refused incident {number}")
            number += 1
        for note in stack.supervise():
            timeline.note(note)
        if stack.healthy() != healthy:
            healthy = not healthy
            timeline.note("/healthz answers 200 again" if healthy else "/healthz stops answering 200")
        upcoming = [number * LOG_EVERY, seconds, *(fault.at for fault in faults[:1])]
        time.sleep(max(0.0, min(upcoming) - timeline.elapsed()))
    return number, refused


def settle(stack: Stack, limit: float, timeline: Timeline) -> bool:
    """Wait until nothing is pending and no step is still to come, for at most ``limit`` seconds; returns whether
    it got there. The steps matter as much as the rows: the last incidents' later steps come due after logging
    stops, and a step not yet recorded has no notification row that the figures could count."""
    deadline = time.monotonic() + limit
    horizon = timezone.now() + timedelta(seconds=limit)  # not the national defaults' steps, days away
    reported = 0.0
    while True:
        for note in stack.supervise():
            timeline.note(note)
        # Steps first: a step recorded between the two counts then shows as pending, never as nothing at all.
        steps = Obligation.objects.filter(state__in=Obligation.OPEN_STATES, next_step_at__lte=horizon).count()
        pending = Notification.objects.filter(status=Notification.Status.PENDING)
        count = pending.count()
        if count == steps == 0:
            timeline.note("settled: nothing is pending and no step is still to come")
            time.sleep(5)  # the administrators' mail goes after the commit that recorded the outcome
            return True
        if time.monotonic() >= deadline:
            waiting = pending.filter(available_at__gt=timezone.now()).count()
            timeline.note(
                f"settling stopped at its limit: {count} pending, {waiting} of them waiting for a later time; "
                f"{steps} obligation(s) with a step to come"
            )
            return False
        if time.monotonic() - reported >= 30:
            reported = time.monotonic()
            timeline.note(
                f"settling: {count} pending{latest_claimable(pending)}; {steps} obligation(s) with a step to come"
            )
        time.sleep(2)


def latest_claimable(pending) -> str:
    latest = pending.order_by("-available_at").values_list("available_at", flat=True).first()
    return f", the latest claimable at {timezone.localtime(latest):%H:%M:%S}" if latest else ""


# The figures -----------------------------------------------------------------------------------------


@dataclass
class Figures:
    expected: int = 0
    sent: int = 0
    unknown: int = 0
    failed: int = 0
    pending: int = 0
    lost: int = 0
    duplicates: int = 0  # messages a receiver took beyond one per notification
    allowed: int = 0  # of those, second copies of an email after an unknown outcome (same Message-ID)
    sent_not_received: int = 0  # recorded sent, but no receiver has it
    taken_not_sent: int = 0  # recorded unknown or failed, but the provider took it
    delays: list = field(default_factory=list)


class Received:
    """What the receivers and the mailbox got, by notification id."""

    def __init__(self, stack: Stack, notifications: list[Notification]):
        self.email = Counter()
        self.admin_mail, self.other_admin_mail = set(), []
        with translation.override(settings.LANGUAGE_CODE):
            line = _("Notification %(id)s (%(step)s, %(channel)s, to %(person)s)")
        mentioned = re.compile(re.escape(line.split("%(id)s")[0]) + r"(\d+)")
        for message in stack.mailbox.messages:
            if ADMIN in message["To"]:
                ids = {int(pk) for pk in mentioned.findall(message.get_content())}
                self.admin_mail |= ids
                if not ids:
                    self.other_admin_mail.append(message["Subject"])
            elif match := re.match(r"<notification-(\d+)@", message["Message-ID"] or ""):
                self.email[int(match.group(1))] += 1
        self.sms_taken = Counter(out_id(body) for body in stack.providers.taken("sms"))
        self.sms_received = Counter(out_id(body) for body in stack.providers.messages("sms"))
        self.robot = robot_copies(stack.providers, [n for n in notifications if n.channel == "robot"])

    def copies(self, notification) -> int:
        return {"email": self.email, "sms": self.sms_taken, "robot": self.robot}[notification.channel][notification.pk]


def out_id(body) -> int | str:
    return int(body["OutId"]) if body["OutId"].isdigit() else body["OutId"]


def robot_copies(providers: Providers, notifications) -> Counter:
    """How many robot messages the providers took for each notification: a message of its own names
    the incident, the step and the person; a digest has a line per person and incident."""
    with translation.override(settings.LANGUAGE_CODE):
        person = pattern(_("To %(person)s:"), "person")
        title = pattern(_("Incident: %(title)s"), "title")
        step = pattern(_("Escalation step: %(step)s"), "step")
        single = {(inert(n.incident.title), step_label(n.step), inert(str(n.recipient))): n.pk for n in notifications}
    in_digest = {(inert(str(n.recipient)[:20]), inert(n.incident.title[:30])): n.pk for n in notifications}
    texts = [body["markdown"]["text"] for body in providers.taken("dingtalk")]
    texts += [body["text"]["content"] for body in providers.taken("wecom")]
    copies = Counter()
    for text in texts:
        if found := person.search(text):
            copies[single.get((title.search(text)["title"], step.search(text)["step"], found["person"]))] += 1
        for line in re.finditer(r"^- (?P<person>.+?)：(?P<title>.+?) · ", text, flags=re.MULTILINE):
            copies[in_digest.get((line["person"], line["title"]))] += 1
    return copies


def pattern(template: str, name: str) -> re.Pattern:
    head, tail = template.split(f"%({name})s")
    return re.compile(re.escape(head) + f"(?P<{name}>.+?)" + re.escape(tail) + "$", flags=re.MULTILINE)


def channel_of(notification, providers_by_department) -> str:
    if notification.channel == "robot":
        return f"robot ({providers_by_department[notification.recipient.department_id]})"
    return notification.channel


def figures(stack: Stack) -> tuple[dict[str, Figures], list[str], Received]:
    """The figures per channel, and the notifications that break a promise, in words."""
    notifications = list(
        Notification.objects.exclude(status=Notification.Status.SKIPPED).select_related("incident", "recipient")
    )
    received = Received(stack, notifications)
    with_fallback = set(Notification.objects.filter(fallback_for__isnull=False).values_list("fallback_for", flat=True))
    unknown_attempts = set(
        DeliveryAttempt.objects.filter(outcome=DeliveryAttempt.Outcome.UNKNOWN).values_list("notification", flat=True)
    )
    robots = dict(Robot.objects.values_list("department", "provider"))
    per_channel, problems = {}, []
    for n in notifications:
        row = per_channel.setdefault(channel_of(n, robots), Figures())
        row.expected += 1
        setattr(row, n.status, getattr(row, n.status) + 1)
        fallback = "fallback made" if n.pk in with_fallback else "no fallback"
        told = "administrators told" if n.pk in received.admin_mail else "administrators not told"
        if n.status == Notification.Status.SENT:
            row.delays.append((n.sent_at - (n.held_until or n.step_at)).total_seconds())
        elif n.status == Notification.Status.PENDING:
            until = timezone.localtime(n.available_at)
            problems.append(f"pending: notification {n.pk} ({n.channel}), claimable at {until:%H:%M:%S}, {fallback}")
        elif n.pk not in with_fallback or n.pk not in received.admin_mail:
            row.lost += 1
            problems.append(f"lost: notification {n.pk} ({n.channel}, {n.status}: {n.error!r}), {fallback}, {told}")
        if n.channel == "in_app":
            continue
        copies = received.copies(n)
        if copies > 1:
            allowed = n.channel == "email" and copies == 2 and n.pk in unknown_attempts
            row.duplicates += copies - 1
            row.allowed += copies - 1 if allowed else 0
            if not allowed:
                problems.append(f"duplicate: notification {n.pk} ({n.channel}, {n.status}) received {copies} times")
        if n.status == Notification.Status.SENT and copies == 0:
            row.sent_not_received += 1
            problems.append(f"sent but not received: notification {n.pk} ({n.channel})")
        if n.status in (Notification.Status.UNKNOWN, Notification.Status.FAILED) and copies:
            row.taken_not_sent += 1
    return dict(sorted(per_channel.items())), problems, received


def nearest_rank(values, share):
    values = sorted(values)
    return values[max(0, -(-len(values) * share // 100) - 1)] if values else 0.0


COLUMNS = [
    ("channel", None),
    ("expected", "expected"),
    ("sent", "sent"),
    ("unknown", "unknown"),
    ("failed", "failed"),
    ("pending", "pending"),
    ("lost", "lost"),
    ("duplicates (allowed)", None),
    ("sent, not received", "sent_not_received"),
    ("unknown/failed, taken", "taken_not_sent"),
    ("max delay", None),
    ("p95 delay", None),
]


def table(per_channel: dict[str, Figures]) -> list[str]:
    lines = ["| " + " | ".join(name for name, _attribute in COLUMNS) + " |", "|---" * len(COLUMNS) + "|"]
    total = Figures()
    for row in per_channel.values():
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    for channel, row in [*per_channel.items(), ("all", total)]:
        cells = [channel] + [str(getattr(row, attribute)) for _name, attribute in COLUMNS[1:7]]
        cells += [f"{row.duplicates} ({row.allowed})", str(row.sent_not_received), str(row.taken_not_sent)]
        cells += [f"{max(row.delays, default=0):.1f} s", f"{nearest_rank(row.delays, 95):.1f} s"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def attempt_counts() -> str:
    outcomes = Counter(DeliveryAttempt.objects.values_list("outcome", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        cut_off = DeliveryAttempt.objects.filter(error=str(CUT_OFF)).count()
    listed = ", ".join(f"{outcome or 'unfinished'} {count}" for outcome, count in sorted(outcomes.items()))
    return f"delivery attempts: {sum(outcomes.values())} ({listed}); cut off by a killed worker: {cut_off}"


def log_summary(log_dir: Path) -> list[str]:
    """Tracebacks, ERROR and CRITICAL lines in the processes' logs."""
    lines = []
    for log in sorted(log_dir.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()
        errors = [line for line in text if re.search(r"ERROR|CRITICAL|^Traceback", line)]
        lines.append(f"{log.name}: {len(text)} lines, {len(errors)} ERROR/CRITICAL/Traceback")
        first = sorted(dict.fromkeys(errors), key=lambda line: "CRITICAL" not in line)[:5]
        lines += [f"    {line[:200]}" for line in first]
    return lines


def report(stack: Stack, logged: int, refused: int, timeline: Timeline, log_dir: Path) -> list[str]:
    """Print the figures, the problems, the timeline and the logs' summary; return the problems."""
    per_channel, problems, received = figures(stack)
    print("\n## Figures\n")
    print(f"incidents logged through the API: {logged - refused} ({refused} refused)")
    skipped = Notification.objects.filter(status=Notification.Status.SKIPPED).count()
    print(f"notification rows: {Notification.objects.count()}, skipped {skipped}")
    print(f"fallback copies: {Notification.objects.filter(fallback_for__isnull=False).count()}")
    print(attempt_counts())
    print(f"processes that exited by themselves (and were started again): {len(stack.exits)}")
    print(f"notifications named in the administrators' mails: {len(received.admin_mail)}")
    print(f"other mails to the administrators: {len(received.other_admin_mail)} {received.other_admin_mail[:5]}")
    sms_repeats = sum(count - 1 for count in received.sms_received.values() if count > 1)
    print(f"SMS requests repeating an OutId the gateway had (dropped by it): {sms_repeats}")
    robot_requests = Counter(name for name, *_rest in stack.providers.received if name in ("dingtalk", "wecom"))
    print(f"robot requests received (taken or refused): {dict(robot_requests)}")
    print(f"unattributed robot messages: {received.robot[None]}")
    for channel, row in per_channel.items():
        print(
            f"{channel}: expected {row.expected}, sent {row.sent}, unknown {row.unknown}, failed {row.failed}, "
            f"pending {row.pending}, lost {row.lost}, duplicates {row.duplicates} (allowed {row.allowed}), "
            f"sent but not received {row.sent_not_received}, unknown/failed but taken {row.taken_not_sent}, "
            f"delay max {max(row.delays, default=0):.1f} s, p95 {nearest_rank(row.delays, 95):.1f} s"
        )
    print()
    print("\n".join(table(per_channel)))
    print("\n## Problems\n")
    print("\n".join(problems[:50]) or "none")
    print("\n## Fault timeline\n")
    print("\n".join(timeline.lines))
    print(f"\n## Logs ({log_dir})\n")
    print("\n".join(log_summary(log_dir)))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="how long incidents are logged (default 10)")
    parser.add_argument("--smoke", action="store_true", help="24 s with faults of its own, checked, untimed")
    arguments = parser.parse_args()
    run = SMOKE_RUN if arguments.smoke else full_run(arguments.minutes)
    log_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    print(f"soak: incidents logged for {run.seconds:g} s; the processes' logs in {log_dir}", flush=True)
    fresh_database()
    org = organisation()
    stack = Stack(log_dir)
    try:
        stack.start()
        timeline = Timeline()
        timeline.note("started: Redis, gunicorn, worker-1, worker-2, beat; logging an incident every 3 s")
        logged, refused = soak(stack, org, run.seconds, run.schedule(stack, run.seconds), timeline)
        timeline.note(f"logging stopped after {logged} incidents; settling")
        settled = settle(stack, run.settling, timeline)
    finally:
        stack.stop()
    problems = report(stack, logged, refused, timeline, log_dir)
    if arguments.smoke and (problems or not settled):
        sys.exit(f"soak --smoke: {len(problems)} problem(s), listed under ## Problems; settled: {settled}")
    if arguments.smoke:
        shutil.rmtree(log_dir)  # make test runs it every time: only a failed run's logs are worth keeping


if __name__ == "__main__":
    main()
