"""Readiness (docs/rules.md, "Reaching people directly, and knowing beforehand who can be reached"): the gaps in
who the ladders in force would reach now, the API that lists them, and the administrators' banner."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Department, Person, Role
from notifications.models import DutyShift, EscalationPolicy, EscalationStep, Robot
from notifications.readiness import readiness

from ..clients import browser_for, client_for
from ..factories import DepartmentFactory, PersonFactory

URL = "/api/v1/readiness/"


@pytest.fixture(autouse=True)
def no_gateways(settings):
    settings.SMS_GATEWAY_URL = ""
    settings.OUTBOUND_WEBHOOK_URL = ""
    cache.clear()


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return {d.code: d for d in Department.objects.all()}


def kinds(found):
    return sorted(((gap.kind, gap.department, gap.channel) for gap in found.gaps), key=repr)


def roster_for(department, days=15):
    """Day-long shifts of the department's duty officer from yesterday, covering the next 14 days."""
    person = Person.objects.filter(department=department, groups__name=Role.DUTY_OFFICER).first()
    start = timezone.now() - timedelta(days=1)
    DutyShift.objects.bulk_create(
        DutyShift(
            department=department,
            person=person,
            post=DutyShift.Post.DUTY_OFFICER,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n + 1),
        )
        for n in range(days + 1)
    )


def test_the_demo_lists_exactly_its_real_gaps_and_each_goes_when_filled(demo, settings):
    found = readiness()
    # The mayor is reached by in-app, email and SMS only: the government itself needs no robot.
    robots = [demo[code].pk for code in ("jc-market", "jc-office", "jc-publicity", "jc-transport")]
    bureaus = [demo["jc-market"].pk, demo["jc-transport"].pk]
    assert kinds(found) == sorted(
        [("channel_not_configured", pk, "robot") for pk in robots]
        + [("channel_not_configured", None, "sms")]
        + [("no_roster", pk, None) for pk in bureaus],
        key=repr,
    )
    assert not found.ok
    assert found.as_dict()["gaps"][0].keys() == {"kind", "department", "step", "person", "channel", "detail"}

    for filled, code in enumerate(("jc-market", "jc-office", "jc-publicity", "jc-transport"), start=1):
        Robot.objects.create(department=demo[code], provider=Robot.Provider.DINGTALK, token="t")
        left = [gap.department for gap in readiness().gaps if gap.channel == "robot"]
        assert left == robots[filled:], "each department's gap goes when its robot comes, the others stay"
    assert ("channel_not_configured", None, "sms") in kinds(readiness())
    assert not [gap for gap in readiness().gaps if gap.channel == "robot"]

    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms/send"
    assert kinds(readiness()) == sorted((("no_roster", pk, None) for pk in bureaus), key=repr)

    roster_for(demo["jc-transport"])
    roster_for(demo["jc-market"], days=3)  # a roster that stops after three days leaves a gap
    assert kinds(readiness()) == [("roster_gap", demo["jc-market"].pk, None)]
    DutyShift.objects.filter(department=demo["jc-market"]).delete()
    roster_for(demo["jc-market"])
    assert readiness().ok
    assert readiness().as_dict() == {"ok": True, "gaps": []}


def test_a_vacant_post_and_an_unreachable_person_are_reported(demo, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms/send"
    market = demo["jc-market"]
    market.responsible_leader = None
    market.save()
    deputy = Person.objects.get(username="market_deputy")
    # The city's own ladder for general incidents: a step by SMS only, to the market's principal leader.
    policy = EscalationPolicy.objects.create(government=demo["jc-gov"], severity="general")
    step = EscalationStep.objects.create(
        policy=policy, code="sms_only", offset=timedelta(0), audiences=["principal_leader"], channels=["sms"]
    )
    EscalationStep.objects.create(
        policy=policy, code="deputy", offset=timedelta(hours=1), audiences=["responsible_leader"], channels=["in_app"]
    )
    Person.objects.filter(username="market_head").update(phone="")

    gaps = readiness().gaps
    vacant = [g for g in gaps if g.kind == "vacant_post"]
    assert [(g.department, g.person) for g in vacant] == [(market.pk, None)]
    assert "分管" in vacant[0].detail or "responsible" in vacant[0].detail
    unreachable = [g for g in gaps if g.kind == "unreachable"]
    head = Person.objects.get(username="market_head")
    assert [(g.person, g.department, g.step) for g in unreachable] == [(head.pk, market.pk, step.pk)]
    assert deputy.pk not in {g.person for g in gaps}


def test_a_step_listing_a_webhook_when_none_is_configured(demo):
    policy = EscalationPolicy.objects.create(government=demo["jc-gov"], severity="general")
    EscalationStep.objects.create(
        policy=policy, code="hook", offset=timedelta(0), audiences=["contacts"], channels=["in_app", "webhook"]
    )
    assert ("channel_not_configured", None, "webhook") in kinds(readiness())


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("office_head", 200), ("auditor", 200), ("transport_duty", 403), ("market_head", 403)],
)
def test_who_reads_readiness(demo, who, status):
    answer = client_for(Person.objects.get(username=who)).get(URL)
    assert answer.status_code == status
    if status == 200:
        assert answer.json()["ok"] is False
        assert {g["kind"] for g in answer.json()["gaps"]} == {"channel_not_configured", "no_roster"}


def test_anonymous_is_refused(db):
    assert APIClient().get(URL).status_code == 401


def test_the_office_reads_only_its_governments_gaps(demo):
    elsewhere = DepartmentFactory(name="河州市交通局", parent=DepartmentFactory(is_government=True))
    PersonFactory(department=elsewhere, roles=[Role.DUTY_OFFICER])
    office = {g["department"] for g in client_for(Person.objects.get(username="office_head")).get(URL).json()["gaps"]}
    admin = {g["department"] for g in client_for(Person.objects.get(username="admin")).get(URL).json()["gaps"]}
    assert elsewhere.pk in admin
    assert elsewhere.pk not in office


def test_the_banner_shows_for_an_administrator_and_not_for_a_duty_officer(demo):
    text = browser_for(Person.objects.get(username="admin")).get("/escalations/").content.decode()
    assert "/readiness/" in text
    assert "7 项可达性缺口" in text
    duty = browser_for(Person.objects.get(username="transport_duty"))
    assert "/readiness/" not in duty.get("/escalations/").content.decode()
    assert duty.get("/readiness/").status_code == 403
    listing = browser_for(Person.objects.get(username="admin")).get("/readiness/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "江城市交通运输局" in page
    assert "<td>短信</td>" in page  # the channel in words, not its code
    assert "站内消息、电子邮件" in page


def test_the_administration_opens_on_readiness(demo):
    index = browser_for(Person.objects.get(username="admin")).get("/admin/").content.decode()
    assert '<a href="/readiness/">7 项可达性缺口</a>' in index


def test_the_banner_count_is_cached(demo):
    admin = browser_for(Person.objects.get(username="admin"))
    admin.get("/readiness/")
    Robot.objects.create(department=demo["jc-gov"], provider=Robot.Provider.DINGTALK, token="t")
    with CaptureQueriesContext(connection) as first:
        admin.get("/escalations/")
    assert not any("notifications_robot" in q["sql"] for q in first.captured_queries)


def organisation(bureaus):
    government = DepartmentFactory(is_government=True)
    office = DepartmentFactory(parent=government)
    government.supervising_office = office
    government.save()
    for _ in range(bureaus):
        bureau = DepartmentFactory(parent=government)
        duty = PersonFactory(department=bureau, roles=[Role.DUTY_OFFICER])
        leader = PersonFactory(department=bureau, roles=[Role.LEADER])
        bureau.principal_leader = leader
        bureau.save()
        DutyShift.objects.create(
            department=bureau,
            person=duty,
            post=DutyShift.Post.DUTY_OFFICER,
            starts_at=timezone.now() - timedelta(hours=1),
            ends_at=timezone.now() + timedelta(days=2),
        )
        Robot.objects.create(department=bureau, provider=Robot.Provider.WECOM, token="k")


@pytest.mark.parametrize("bureaus", [2, 6])
def test_the_number_of_queries_does_not_grow_with_the_organisation(db, bureaus):
    organisation(bureaus)
    with CaptureQueriesContext(connection) as queries:
        found = readiness()
    assert len([g for g in found.gaps if g.kind == "roster_gap"]) == bureaus
    assert len(queries) == QUERIES


QUERIES = 9
