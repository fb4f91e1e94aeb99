"""A small demo organisation for trying the tracker: a city government, its office and publicity
department, two departments, people for every role and a few incidents in different states."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from incidents.models import ActionKind, Department, Person, Role, Severity
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident
from notifications.enforcement import enforce
from opinion_tracker.lib.pages import declared_pages

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
]


class Command(BaseCommand):
    help = "Load a small demo organisation and a few incidents (does nothing if it is already loaded)."

    def handle(self, *args, **options):
        if Department.objects.filter(code="jc-gov").exists():
            self.stdout.write(_("The demo organisation was already loaded."))
            self.sign_in_guide()
            return
        with transaction.atomic():
            departments = self.organisation()
            people = self.people()
            self.leaders(departments, people)
            self.incidents(departments, people, timezone.now())
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
        government = Department.objects.create(name="江城市人民政府", code="jc-gov", is_government=True)
        departments = {"jc-gov": government}
        for code, name in [
            ("jc-office", "江城市人民政府办公室"),
            ("jc-publicity", "中共江城市委宣传部"),
            ("jc-transport", "江城市交通运输局"),
            ("jc-market", "江城市市场监督管理局"),
        ]:
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
            )
            person.groups.set(Group.objects.filter(name__in=roles))
            people[username] = person
        return people

    def leaders(self, departments, people):
        for code, principal, responsible in [
            ("jc-gov", "mayor", None),
            ("jc-office", "office_head", "office_deputy"),
            ("jc-publicity", "publicity_head", None),
            ("jc-transport", "transport_head", "transport_deputy"),
            ("jc-market", "market_head", "market_deputy"),
        ]:
            department = departments[code]
            department.principal_leader = people[principal]
            department.responsible_leader = people.get(responsible)
            department.save()

    def incidents(self, departments, people, now):
        hour = timedelta(hours=1)
        transport, market = departments["jc-transport"], departments["jc-market"]
        transport_duty, market_duty = people["transport_duty"], people["market_duty"]

        discovered = now - 3 * hour
        subsidence = log_incident(
            title="地铁3号线施工路段路面塌陷引发网络关注",
            summary="网民在微博发布路面塌陷视频，转发量快速上升。",
            severity=Severity.MAJOR,
            department=transport,
            discovered_at=discovered,
            occurred_at=discovered - hour / 2,
            source_platform="微博",
            source_url="https://weibo.com/",
            actor=transport_duty,
            now=discovered + hour / 6,
        )
        record_action(
            subsidence,
            kind=ActionKind.INTERNAL_REPORT,
            published_at=discovered + hour,
            summary="已向局主要负责人报告，建议2小时内发布情况通报。",
            actor=transport_duty,
            now=discovered + hour,
        )

        discovered = now - 50 * hour
        log_incident(
            title="网传某超市销售过期食品",
            summary="短视频平台流传超市货架过期食品视频。",
            severity=Severity.GENERAL,
            department=market,
            discovered_at=discovered,
            source_platform="抖音",
            actor=market_duty,
            now=discovered + hour / 4,
        )

        discovered = now - 30 * hour
        price = log_incident(
            title="市民反映农贸市场哄抬菜价",
            severity=Severity.RELATIVELY_MAJOR,
            department=market,
            discovered_at=discovered,
            actor=market_duty,
            now=discovered + hour / 4,
        )
        record_action(
            price,
            kind=ActionKind.INTERNAL_REPORT,
            published_at=discovered + hour,
            summary="已报告分管领导，建议开展价格检查。",
            actor=market_duty,
            now=discovered + hour,
        )
        record_action(
            price,
            kind=ActionKind.STATEMENT,
            channel="wechat",
            published_at=discovered + 20 * hour,
            evidence_url="https://example.gov.cn/jc-market/notice",
            actor=market_duty,
            now=discovered + 20 * hour,
        )

        discovered = now - 10 * 24 * hour
        bus = log_incident(
            title="公交线路调整引发市民投诉",
            severity=Severity.GENERAL,
            department=transport,
            discovered_at=discovered,
            actor=transport_duty,
            now=discovered + hour / 4,
        )
        for kind, offset, extra in [
            (ActionKind.INTERNAL_REPORT, hour, {"summary": "已报告局领导。"}),
            (ActionKind.STATEMENT, 20 * hour, {"evidence_url": "https://example.gov.cn/jc-transport/bus"}),
            (ActionKind.VERIFICATION_REPORT, 26 * hour, {"summary": "核实情况：线路调整已提前公示。"}),
        ]:
            record_action(
                bus, kind=kind, published_at=discovered + offset, actor=transport_duty, now=discovered + offset, **extra
            )
        close(bus, reason="已回应，舆情平息。", actor=transport_duty, now=discovered + 2 * 24 * hour)
