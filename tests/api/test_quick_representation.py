"""Incidents, obligations, findings, actions and timeline events are shown by ``QuickRepresentation``
(opinion_tracker/lib/api/representation.py) exactly as DRF would show them: every field, every kind of value (times
in Beijing time, keys, choices, properties, nested lists, method fields), on incidents that have them all."""

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from incidents.api import serializers as s
from incidents.api.incidents import IncidentViewSet
from incidents.models import AccountabilityFinding, Action, ActionKind, Incident, Obligation, Role, TimelineEvent
from incidents.services.accountability import record_finding
from incidents.services.actions import record_action
from incidents.services.incidents import close
from incidents.services.obligations import waive
from opinion_tracker.lib.api.representation import QuickRepresentation

from ..clients import get_as
from ..conftest import beijing
from ..factories import PersonFactory

DISCOVERED = beijing(2026, 3, 10, 10)
LATER = DISCOVERED + timedelta(days=5)


def shown_by_drf(serializer, instance) -> dict:
    """What DRF's own ``Serializer.to_representation`` shows, with the nested serializers as they are."""
    return serializers.ModelSerializer.to_representation(serializer, instance)


@pytest.fixture
def auditor(org):
    return PersonFactory(department=org.government, roles=[Role.AUDITOR])


@pytest.fixture
def incidents(org, log, housing, auditor):
    """A grave incident with a co-handler, a met obligation, a waived one, an overdue one with a 通报批评 and a
    约谈整改 (and its rectification report); an incident merged into it; a closed one with a follow-on."""
    grave = log(title="化工厂异味", severity="major", discovered_at=DISCOVERED)
    grave.co_departments.add(housing.department)
    record_action(
        grave,
        kind=ActionKind.STATEMENT,
        published_at=DISCOVERED + timedelta(hours=2),
        evidence_url="https://gov.example.cn/notice/1",
        actor=org.duty_officer,
        now=DISCOVERED + timedelta(hours=2),
    )
    owed = list(grave.obligations.filter(state=Obligation.State.PENDING).order_by("due_at"))
    waive(owed[-1], reason="已并入专项通报", approver=org.leader, now=DISCOVERED + timedelta(hours=3))
    breached = Obligation.objects.filter(incident=grave, state=Obligation.State.PENDING).first()
    breached.state = Obligation.State.OVERDUE
    breached.save(update_fields=["state"])
    for kind in (AccountabilityFinding.Kind.CRITICISM, AccountabilityFinding.Kind.INTERVIEW):
        record_finding(
            breached,
            kind=kind,
            note="未按时回应",
            decided_on=date(2026, 3, 14),
            actor=auditor,
            now=LATER,
            rectification_due_at=LATER + timedelta(days=10) if kind == AccountabilityFinding.Kind.INTERVIEW else None,
        )
    duplicate = log(title="化工厂异味（重复）", severity="general", discovered_at=DISCOVERED + timedelta(hours=1))
    Incident.objects.filter(pk=duplicate.pk).update(merged_into=grave)
    earlier = log(title="小区停水", severity="general", discovered_at=DISCOVERED - timedelta(days=3))
    for obligation in earlier.obligations.all():
        waive(obligation, reason="已恢复供水", approver=org.leader, now=DISCOVERED)
    close(earlier, reason="已恢复供水", actor=org.duty_officer, now=DISCOVERED)
    again = log(title="小区再次停水", severity="general", discovered_at=DISCOVERED + timedelta(days=1))
    Incident.objects.filter(pk=again.pk).update(follow_on_of=earlier)
    return [grave, duplicate, earlier, again]


def test_every_incident_obligation_and_finding_is_shown_as_drf_shows_it(incidents):
    shown = list(IncidentViewSet.queryset.filter(pk__in=[incident.pk for incident in incidents]))
    incident_serializer = s.IncidentSerializer(shown, many=True).child
    obligation_serializer = incident_serializer.fields["obligations"].child
    finding_serializer = obligation_serializer.fields["accountability"].child
    findings = 0
    for incident in shown:
        assert incident_serializer.to_representation(incident) == shown_by_drf(incident_serializer, incident)
        for obligation in incident.read_obligations:
            assert obligation_serializer.to_representation(obligation) == shown_by_drf(
                obligation_serializer, obligation
            )
            for finding in obligation.read_findings:
                findings += 1
                assert finding_serializer.to_representation(finding) == shown_by_drf(finding_serializer, finding)
    assert findings == 2


def test_the_shown_values_are_those_a_reader_expects(auditor, incidents):
    grave, duplicate, earlier, again = incidents
    page = get_as(auditor, "/api/v1/incidents/", {"ordering": "discovered_at"}).json()["results"]
    by_id = {shown["id"]: shown for shown in page}
    shown = by_id[grave.pk]
    assert shown["discovered_at"] == "2026-03-10T10:00:00+08:00"
    assert shown["co_departments"] == list(grave.co_departments.values_list("pk", flat=True))
    assert {"incident": duplicate.pk, "relation": "merged_from"} in shown["links"]
    assert by_id[again.pk]["links"] == [{"incident": earlier.pk, "relation": "follow_on_of"}]
    breached = next(o for o in shown["obligations"] if o["accountability"])
    assert [finding["kind"] for finding in breached["accountability"]] == ["criticism", "interview"]
    assert breached["accountability"][1]["rectification"]["due_at"] == "2026-03-25T10:00:00+08:00"
    assert {o["waiver_kind"] for o in shown["obligations"]} >= {"approved", ""}
    assert by_id[earlier.pk]["closed_at"] == "2026-03-10T10:00:00+08:00"


def test_actions_and_timeline_events_are_shown_as_drf_shows_them(incidents):
    actions = s.ActionSerializer(list(Action.objects.select_related("publication")), many=True).child
    for action in Action.objects.select_related("publication"):
        assert actions.to_representation(action) == shown_by_drf(actions, action)
    events = s.TimelineEventSerializer(list(TimelineEvent.objects.all()), many=True).child
    for event in TimelineEvent.objects.select_related("actor"):
        assert events.to_representation(event) == shown_by_drf(events, event)
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


class Upper(serializers.CharField):
    def to_representation(self, value):
        return value.upper()


class DepartmentCode(serializers.PrimaryKeyRelatedField):
    def to_representation(self, value):
        return f"dept-{value.pk}"


NAIVE = datetime(2026, 3, 10, 10, 0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a naive time on a model
@pytest.mark.parametrize(
    ("declared", "instance", "zone"),
    [
        ({"discovered_at": serializers.DateTimeField(format=None, read_only=True)}, Incident(id=1), None),
        ({}, Incident(id=1, discovered_at=NAIVE), "Europe/London"),
        ({}, Incident(id=1, discovered_at="2026-03-10T10:00:00+08:00"), None),
        ({"title": Upper(read_only=True)}, Incident(id=1, title="abc"), None),
        ({"department": DepartmentCode(read_only=True)}, Incident(id=1, department_id=7), None),
        ({"title": serializers.CharField(source="logged_by.username", read_only=True)}, Incident(id=1), None),
    ],
    ids=["no format", "naive elsewhere", "a string", "own to_representation", "own key field", "through null"],
)
def test_fields_off_the_quick_path_are_shown_as_drf_shows_them(declared, instance, zone):
    class Shown(QuickRepresentation, serializers.ModelSerializer):
        class Meta:
            model = Incident
            fields = ["id", "title", "department", "discovered_at", "summary"]

    Shown._declared_fields = {**Shown._declared_fields, **declared}
    with timezone.override(zoneinfo.ZoneInfo(zone) if zone else timezone.get_current_timezone()):
        assert Shown().to_representation(instance) == shown_by_drf(Shown(), instance)


def test_a_page_of_incidents_takes_as_many_queries_however_many_it_shows(auditor, log, incidents):
    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = get_as(auditor, "/api/v1/incidents/").json()
        assert all(shown["obligations"] for shown in page["results"])
        return len(captured)

    queries_for_the_list()  # the first request of a person reads what later ones find cached
    before = queries_for_the_list()
    for hour in range(4):
        log(title=f"又一起 {hour}", severity="major", discovered_at=DISCOVERED + timedelta(hours=hour))
    assert queries_for_the_list() == before
