"""A small demo organisation for trying the tracker: a city government, its office and publicity
department, two departments, people for every role and a few incidents in different states."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from incidents.casework.instructions import give_instruction
from incidents.casework.requests import ask_downgrade, ask_extension
from incidents.models import ActionKind, Department, ObligationKind, Person, ReviewGate, Role, Severity
from incidents.services.actions import record_action
from incidents.services.calendar import WorkingCalendar
from incidents.services.incidents import close, log_incident
from notifications.enforcement import enforce
from opinion_tracker.lib.pages import declared_pages
from statements.drafting import add_version, create_draft
from statements.review import decide_gate

DEMO_PASSWORD = "demo-2026"

PEOPLE = [
    # username, display name, department code, roles
    ("admin", "系统管理员", "jc-office", [Role.ADMIN]),
    ("mayor", "王建国（市长）", "jc-gov", [Role.LEADER]),
    ("office_head", "李秘书长", "jc-office", [Role.LEADER]),
    ("office_deputy", "赵副秘书长", "jc-office", [Role.LEADER]),
    ("publicity_head", "孙部长", "jc-publicity", [Role.LEADER]),
    ("transport_head", "周局长", "jc-transport", [Role.LEADER]),
    ("transport_deputy", "吴副局长", "jc-transport", [Role.LEADER]),
    ("transport_duty", "郑值班员", "jc-transport", [Role.DUTY_OFFICER]),
    ("market_head", "钱局长", "jc-market", [Role.LEADER]),
    ("market_deputy", "冯副局长", "jc-market", [Role.LEADER]),
    ("market_duty", "陈值班员", "jc-market", [Role.DUTY_OFFICER]),
    ("auditor", "褚审计员", "jc-office", [Role.AUDITOR]),
    ("transport_reviewer", "卫审核员", "jc-transport", [Role.REVIEWER]),
    ("office_reviewer", "蒋审核员", "jc-office", [Role.REVIEWER]),
]
# The gates each reviewer reviews: the bureau's own reviewer the policy and the wording, the office's the secrecy
# and the legal review (the office's reviewers work on every department of the city).
REVIEW_GATES = {
    "transport_reviewer": [ReviewGate.POLICY, ReviewGate.WORDING],
    "office_reviewer": [ReviewGate.SECRECY, ReviewGate.LEGAL],
}


# The government first, then its departments: code, name, principal leader, responsible leader (usernames in
# PEOPLE). The office and the publicity department are the government's supervising office and publicity department.
GOVERNMENT = ("jc-gov", "江城市人民政府", "mayor", None)
DEPARTMENTS = [
    ("jc-office", "江城市人民政府办公室", "office_head", "office_deputy"),
    ("jc-publicity", "中共江城市委宣传部", "publicity_head", None),
    ("jc-transport", "江城市交通运输局", "transport_head", "transport_deputy"),
    ("jc-market", "江城市市场监督管理局", "market_head", "market_deputy"),
]

HOUR = timedelta(hours=1)
DAY = 24 * HOUR


@dataclass(frozen=True)
class DemoIncident:
    """An incident of the demo, its times counted from the moment the demo is loaded so that it always looks current.

    A department's duty officer (``logged_by``) logs it in their department ``logged_after`` its discovery, ``ago``
    before the load; then records each of its actions (kind, time after discovery, what else it says: summary,
    channel, evidence) as published and recorded at that time, and closes it if ``closed`` (time after discovery,
    reason).
    """

    title: str
    severity: str
    logged_by: str  # a duty officer's username in PEOPLE
    ago: timedelta
    logged_after: timedelta = HOUR / 4
    occurred_before: timedelta | None = None  # how long before its discovery it happened, when that is known
    details: dict = field(default_factory=dict)  # what else log_incident is told: summary, source platform and URL
    closed: tuple[timedelta, str] | None = None
    actions: tuple = ()


# In different states: a major one just reported inside, one not yet reported, one answered in public, one closed.
DEMO_INCIDENTS = [
    DemoIncident(
        title="地铁3号线施工路段路面塌陷引发网络关注",
        severity=Severity.MAJOR,
        logged_by="transport_duty",
        ago=3 * HOUR,
        logged_after=HOUR / 6,
        occurred_before=HOUR / 2,
        details={
            "summary": "网民在微博发布路面塌陷视频，转发量快速上升。",
            "source_platform": "微博",
            "source_url": "https://weibo.com/",
        },
        actions=((ActionKind.INTERNAL_REPORT, HOUR, {"summary": "已向局主要负责人报告，建议2小时内发布情况通报。"}),),
    ),
    DemoIncident(
        title="网传某超市销售过期食品",
        severity=Severity.GENERAL,
        logged_by="market_duty",
        ago=50 * HOUR,
        details={"summary": "短视频平台流传超市货架过期食品视频。", "source_platform": "抖音"},
    ),
    DemoIncident(
        title="市民反映农贸市场哄抬菜价",
        severity=Severity.RELATIVELY_MAJOR,
        logged_by="market_duty",
        ago=30 * HOUR,
        actions=(
            (ActionKind.INTERNAL_REPORT, HOUR, {"summary": "已报告分管领导，建议开展价格检查。"}),
            (
                ActionKind.STATEMENT,
                20 * HOUR,
                {"channel": "wechat", "evidence_url": "https://example.gov.cn/jc-market/notice"},
            ),
        ),
    ),
    DemoIncident(
        title="公交线路调整引发市民投诉",
        severity=Severity.GENERAL,
        logged_by="transport_duty",
        ago=10 * DAY,
        closed=(2 * DAY, "已回应，舆情平息。"),
        actions=(
            (ActionKind.INTERNAL_REPORT, HOUR, {"summary": "已报告局领导。"}),
            (ActionKind.STATEMENT, 20 * HOUR, {"evidence_url": "https://example.gov.cn/jc-transport/bus"}),
            (ActionKind.VERIFICATION_REPORT, 26 * HOUR, {"summary": "核实情况：线路调整已提前公示。"}),
        ),
    ),
]


class Command(BaseCommand):
    help = "Load a small demo organisation and a few incidents (does nothing if it is already loaded)."

    def handle(self, *args, **options):
        if Department.objects.filter(code=GOVERNMENT[0]).exists():
            self.stdout.write(_("The demo organisation was already loaded."))
            self.sign_in_guide()
            return
        with transaction.atomic():
            departments = self.organisation()
            people = self.people()
            self.leaders(departments, people)
            incidents = self.incidents(departments, people, timezone.now())
            self.casework(incidents, people, timezone.now())
            self.statement_in_review(incidents, people, timezone.now())
        enforce(timezone.now())
        self.stdout.write(_("The demo organisation is loaded."))
        self.sign_in_guide()

    def sign_in_guide(self):
        """Printed on every `make run`, loaded or not: whom to sign in as, and which page each account opens on."""
        welcome = _("Open %(url)s and sign in; every demo account's password is %(password)s:")
        self.stdout.write(welcome % {"url": settings.SITE_URL.rstrip("/") + "/", "password": DEMO_PASSWORD})
        separator = pgettext("list separator", ", ")
        for page in declared_pages():
            for role in sorted(page.lands, key=list(Role).index):
                accounts = separator.join(username for username, _name, _code, roles in PEOPLE if role in roles)
                line = _("%(accounts)s (%(role)s) → %(page)s %(path)s")
                where = {"page": page.label, "path": reverse(page.url_name)}
                self.stdout.write("  " + line % {"accounts": accounts, "role": Role(role).label, **where})

    def organisation(self):
        code, name, _principal, _responsible = GOVERNMENT
        government = Department.objects.create(name=name, code=code, is_government=True)
        departments = {code: government}
        for code, name, _principal, _responsible in DEPARTMENTS:
            departments[code] = Department.objects.create(name=name, code=code, parent=government)
        government.supervising_office = departments["jc-office"]
        government.publicity_department = departments["jc-publicity"]
        government.save()
        return departments

    def people(self):
        people = {}
        for username, display_name, department_code, roles in PEOPLE:
            person = Person.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                display_name=display_name,
                email=f"{username}@jiangcheng.gov.cn",
                phone=f"1380000{len(people):04d}",
                department=Department.objects.get(code=department_code),
                is_staff=Role.ADMIN in roles,
                is_superuser=Role.ADMIN in roles,
                review_gates=REVIEW_GATES.get(username, []),
            )
            person.groups.set(Group.objects.filter(name__in=roles))
            people[username] = person
        return people

    def leaders(self, departments, people):
        for code, _name, principal, responsible in [GOVERNMENT, *DEPARTMENTS]:
            department = departments[code]
            department.principal_leader = people[principal]
            department.responsible_leader = people.get(responsible)
            department.save()

    def incidents(self, departments, people, now) -> dict:
        incidents = {}
        for demo in DEMO_INCIDENTS:
            duty_officer = people[demo.logged_by]
            discovered = now - demo.ago
            incident = log_incident(
                title=demo.title,
                severity=demo.severity,
                department=departments[duty_officer.department.code],
                discovered_at=discovered,
                occurred_at=discovered - demo.occurred_before if demo.occurred_before is not None else None,
                actor=duty_officer,
                now=discovered + demo.logged_after,
                **demo.details,
            )
            for kind, after, fields in demo.actions:
                at = discovered + after
                record_action(incident, kind=kind, published_at=at, actor=duty_officer, now=at, **fields)
            if demo.closed is not None:
                after, reason = demo.closed
                close(incident, reason=reason, actor=duty_officer, now=discovered + after)
            incidents[demo.title] = incident
        return incidents

    def casework(self, incidents, people, now):
        """Something of casework to see: the mayor's instruction on the subsidence, awaiting the transport
        bureau's reply; and on the market prices, a downgrade and an extension the market bureau asked for,
        awaiting its leaders' decision (they show on 待办)."""
        subsidence, prices = incidents[DEMO_INCIDENTS[0].title], incidents[DEMO_INCIDENTS[2].title]
        give_instruction(
            subsidence,
            text="请交通运输局迅速核实塌陷原因，及时发布权威信息，回应群众关切。",
            departments=[subsidence.department],
            actor=people["mayor"],
            now=now - HOUR,
        )
        ask_downgrade(
            prices,
            severity=Severity.GENERAL,
            reason="经价格检查，涨价系季节性波动，影响有限。",
            actor=people["market_duty"],
            now=now,
        )
        report = prices.obligations.get(kind=ObligationKind.VERIFICATION_REPORT)
        asked_for, _provisional = WorkingCalendar().add_working_days(report.due_at - timedelta(microseconds=1), 2)
        ask_extension(
            report, due_at=asked_for, reason="需等待市场价格监测中心出具报告。", actor=people["market_duty"], now=now
        )

    def statement_in_review(self, incidents, people, now):
        """The subsidence's first statement in review: returned at the secrecy gate, revised, and approved at
        the policy and wording gates; the office's reviewer has the secrecy and legal gates to decide (待办)."""
        subsidence = incidents[DEMO_INCIDENTS[0].title]
        duty_officer, reviewer = people["transport_duty"], people["transport_reviewer"]
        first = (
            "今日上午，地铁3号线施工路段发生路面塌陷，伤者张某某已送医救治。"
            "市交通运输局高度重视，已第一时间组织力量赶赴现场处置，周边道路实行临时交通管制。"
        )
        draft = create_draft(
            subsidence,
            kind="statement",
            channels=["政务微博", "政府网站"],
            text=first,
            actor=duty_officer,
            now=now - HOUR,
        )
        decide_gate(
            draft,
            ReviewGate.SECRECY,
            decision="return",
            comment="请删除伤者个人信息。",
            actor=people["office_reviewer"],
            now=now - HOUR / 2,
        )
        revised = first.replace("伤者张某某已送医救治", "1名受伤人员已送医救治")
        add_version(draft, text=revised, actor=duty_officer, now=now - HOUR / 3)
        for gate in (ReviewGate.POLICY, ReviewGate.WORDING):
            decide_gate(draft, gate, decision="approve", actor=reviewer, now=now - HOUR / 6)
