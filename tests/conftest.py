from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from incidents.models import Department, ObligationPolicy, Person, Role
from incidents.services.incidents import log_incident
from notifications.models import EscalationPolicy, EscalationStep
from statements.drafting import create_draft
from statements.models import ReviewPolicy
from statements.review import decide_gate, sign_off

from .browser import chromium, new_page  # noqa: F401 (fixtures of the browser tests)
from .factories import DepartmentFactory, PersonFactory
from .mail import Mailbox, free_port, start_smtp_server
from .receivers import Providers, start_receivers
from .work_apps import started_providers

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    """A Beijing wall-clock time, as people enter and read them."""
    return datetime(*args, tzinfo=BEIJING)


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e is marked ``e2e``, so ``-m "not e2e"`` is the fast inner loop."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Tests render admin pages without a collectstatic manifest, hash passwords cheaply, and start in
    the site's language (a request in English leaves English active in its thread)."""
    translation.activate(settings.LANGUAGE_CODE)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Organisation:
    government: Department
    office: Department
    publicity: Department
    department: Department
    duty_officer: Person
    leader: Person
    deputy: Person
    office_head: Person
    publicity_head: Person
    mayor: Person


def make_organisation() -> Organisation:
    """A city government with its office and publicity department, one department under it, and
    someone on every rung of the escalation ladder: the department's duty officer, its principal
    leader (``leader``) and responsible leader (``deputy``), the heads of the office and of the
    publicity department, and the mayor."""
    government = DepartmentFactory(name="江城市人民政府", is_government=True)
    office = DepartmentFactory(name="市政府办公室", parent=government)
    publicity = DepartmentFactory(name="市委宣传部", parent=government)
    department = DepartmentFactory(name="市交通运输局", parent=government)
    duty_officer = PersonFactory(department=department, roles=[Role.DUTY_OFFICER])
    leader = PersonFactory(department=department, roles=[Role.LEADER])
    deputy = PersonFactory(department=department, roles=[Role.LEADER])
    office_head = PersonFactory(department=office, roles=[Role.LEADER])
    publicity_head = PersonFactory(department=publicity, roles=[Role.LEADER])
    mayor = PersonFactory(department=government, roles=[Role.LEADER])
    department.principal_leader, department.responsible_leader = leader, deputy
    department.save()
    office.principal_leader = office_head
    office.save()
    publicity.principal_leader = publicity_head
    publicity.save()
    government.supervising_office, government.publicity_department = office, publicity
    government.principal_leader = mayor
    government.save()
    return Organisation(
        government, office, publicity, department, duty_officer, leader, deputy, office_head, publicity_head, mayor
    )


@pytest.fixture
def org(db) -> Organisation:
    return make_organisation()


@pytest.fixture
def office_officer(org):
    """A duty officer of the city's office (市政府办公室): the government office, with the office's head."""
    return PersonFactory(department=org.office, roles=[Role.DUTY_OFFICER])


@pytest.fixture
def housing(org):
    """A second bureau under the same city (市住房和城乡建设局): where a transfer sends an incident, or a
    co-handling or addressed department, with its duty officer, principal leader and responsible leader."""
    department = DepartmentFactory(name="市住房和城乡建设局", parent=org.government)
    duty_officer = PersonFactory(department=department, roles=[Role.DUTY_OFFICER])
    leader = PersonFactory(department=department, roles=[Role.LEADER])
    deputy = PersonFactory(department=department, roles=[Role.LEADER])
    department.principal_leader, department.responsible_leader = leader, deputy
    department.save()
    return SimpleNamespace(department=department, duty_officer=duty_officer, leader=leader, deputy=deputy)


@pytest.fixture
def signed_in(client):
    """The test client signed in as a person: ``signed_in(person).get(...)``."""

    def _signed_in(person):
        client.force_login(person)
        return client

    return _signed_in


@pytest.fixture
def admin_client(client, org):
    """An administrator of the city, signed in (in place of pytest-django's bare superuser)."""
    client.force_login(PersonFactory(is_staff=True, is_superuser=True, department=org.office))
    return client


@pytest.fixture
def log(org):
    """Log an incident in the fixture department; keyword arguments override the defaults."""

    def _log(**overrides):
        fields = {
            "title": "网传路面塌陷",
            "severity": "major",
            "department": org.department,
            "actor": org.duty_officer,
        }
        fields.update(overrides)
        fields.setdefault("now", fields["discovered_at"])
        return log_incident(**fields)

    return _log


def obligations_by_kind(incident) -> dict:
    return {o.kind: o for o in incident.obligations.exclude(state="waived")}


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and the tracker's email pointed at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = start_smtp_server(mailbox, port)
    settings.EMAIL_BACKEND = "notifications.channels.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    mailbox.port = port
    yield mailbox
    controller.stop()


@pytest.fixture
def national_defaults(transactional_db):
    """The national policies, ladders and statement rules the migrations seed, for tests whose database was flushed
    by an earlier transactional test (flushing removes what data migrations put in)."""
    if not ObligationPolicy.objects.filter(government=None).exists():
        import_module("incidents.migrations.0002_national_defaults").seed(django_apps, None)
        casework = import_module("incidents.migrations.0012_casework")
        casework.verification_report_extends_by_three_working_days(django_apps, None)
    if not EscalationPolicy.objects.filter(government=None).exists():
        import_module("notifications.migrations.0003_national_ladder").seed(django_apps, None)
    if not ReviewPolicy.objects.filter(government=None).exists():
        import_module("statements.migrations.0002_national_defaults").seed(django_apps, None)


def first_level_on(org, *channels):
    """The government's ladder for 重大 incidents: only the deadline step, to the principal leader."""
    policy = EscalationPolicy.objects.create(government=org.government, severity="major")
    EscalationStep.objects.create(
        policy=policy, code="overdue_l1", offset=timedelta(0), audiences=["principal_leader"], channels=list(channels)
    )


PHONE = "13800000001"


@pytest.fixture
def providers(settings):
    """Real receivers on 127.0.0.1 behaving like the robot, SMS and webhook providers, and the tracker
    pointed at them; the administrators' address set, so that what they are told can be read."""
    known = Providers(sms_keys={"LTAI-test": "sms-secret"}, webhook_secret="hook-secret")
    server, base = start_receivers(known)
    settings.DINGTALK_BASE_URL = settings.WECOM_BASE_URL = settings.FEISHU_BASE_URL = base
    settings.SMS_GATEWAY_URL = f"{base}/sms/send"
    settings.SMS_ACCESS_KEY_ID, settings.SMS_ACCESS_KEY_SECRET = "LTAI-test", "sms-secret"
    settings.SMS_SIGN_NAME, settings.SMS_TEMPLATE_CODE = "江城市政府", "SMS_123456"
    settings.OUTBOUND_WEBHOOK_URL, settings.OUTBOUND_WEBHOOK_SECRET = f"{base}/hooks/tracker", "hook-secret"
    settings.ADMINS = [("系统管理员", "admin@example.gov.cn")]
    known.base = base
    yield known
    server.shutdown()


@pytest.fixture
def work(settings):
    """Real receivers on 127.0.0.1 behaving like the work platforms (``tests.work_apps``); the administrators'
    address set, so that what they are told can be read."""
    known, server = started_providers()
    settings.ADMINS = [("系统管理员", "admin@example.gov.cn")]
    yield known
    server.shutdown()


@pytest.fixture
def reviewers(org):
    """One reviewer of the fixture department per gate, by gate, each named after their gate."""
    names = {"policy": "王政策", "wording": "李文字", "secrecy": "赵保密", "legal": "钱法律"}
    return {
        gate: PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=[gate], display_name=name)
        for gate, name in names.items()
    }


def approve_every_gate(draft, reviewers, now):
    for gate in draft.gates:
        decide_gate(draft, gate, decision="approve", actor=reviewers[gate], now=now)


def signed_off_statement(org, incident, reviewers, text, now):
    """A statement for 政务微博 drafted by the duty officer, approved at every gate and signed off by the
    principal leader (its flagged phrases acknowledged), ready to publish."""
    draft = create_draft(incident, kind="statement", channels=["政务微博"], text=text, actor=org.duty_officer, now=now)
    approve_every_gate(draft, reviewers, now)
    sign_off(draft, acknowledge_flags=True, actor=org.leader, now=now)
    return draft


@pytest.fixture
def leader(org):
    """The principal leader, with a mobile number (robots @-mention by it, SMS goes to it)."""
    org.leader.phone = PHONE
    org.leader.save()
    return org.leader
