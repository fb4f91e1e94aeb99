"""The permission matrix: every role × every endpoint × own/other department, each cell asserted.

"Own" is the caller's department (or, for notifications, a notification addressed to the caller);
"other" is a department of another city (a notification addressed to someone else). A cell is the
status code, or for lists whether the object is "listed" or "hidden". Roles that may not run an
action at all get 403; objects outside the caller's scope are 404, as if they did not exist. The
reviewer reviews every gate of the own department; none of the callers is a department's leader
(principal or responsible), so none signs off: the statement tests show who does.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from incidents.casework.requests import ask_waiver
from incidents.models import Action, Incident, ReviewGate, Role
from incidents.services.accountability import record_finding
from incidents.services.actions import record_action
from incidents.services.incidents import close, log_incident
from notifications.models import EscalationEntry, Notification
from statements.drafting import create_draft
from statements.models import Draft
from statements.review import decide_gate, sign_off

from ..clients import client_for
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

NOW = beijing(2026, 7, 1, 18, 0)
DISCOVERED = NOW - timedelta(hours=7)
ROLES = ["duty_officer", "leader", "reviewer", "auditor", "admin", "integration", "anonymous"]
PDF = b"%PDF-1.4\n"


@dataclass
class World:
    people: dict
    departments: dict  # "own" / "other"
    incidents: dict
    obligations: dict  # the overdue internal report of each incident
    actions: dict
    notifications: dict

    def client(self, role):
        return APIClient() if role == "anonymous" else client_for(self.people[role])


@pytest.fixture
def world(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    other_city = DepartmentFactory(name="河州市人民政府", is_government=True)
    departments = {"own": org.department, "other": DepartmentFactory(name="河州市交通局", parent=other_city)}
    people = {role: PersonFactory(department=org.department, roles=[role]) for role in Role.values}
    people["reviewer"].review_gates = list(ReviewGate.values)  # a reviewer of every gate of the own department
    people["reviewer"].save()
    people["other"] = PersonFactory(department=departments["other"], roles=[Role.DUTY_OFFICER])
    incidents, obligations, actions = {}, {}, {}
    for side, department in departments.items():
        incident = log_incident(
            title=f"{side}事件", severity="major", department=department, discovered_at=DISCOVERED, now=NOW
        )
        incidents[side] = incident
        obligations[side] = incident.obligations.get(kind="internal_report")
        actions[side] = record_action(
            incident,
            kind="statement",
            published_at=DISCOVERED + timedelta(hours=1),
            evidence_file=SimpleUploadedFile("通报.pdf", PDF),
            now=NOW,
        )
    notifications = {}
    for role, person in people.items():
        entry = EscalationEntry.objects.create(
            obligation=obligations["own"], step="overdue_l1", recipient=person, created_at=NOW
        )
        notifications[role] = Notification.objects.create(
            incident=incidents["own"],
            obligation=obligations["own"],
            step="overdue_l1",
            entry=entry,
            recipient=person,
            channel="in_app",
            step_at=NOW,
            created_at=NOW,
            latency=timedelta(0),
            available_at=NOW,
        )
    with time_machine.travel(NOW, tick=False):
        yield World(people, departments, incidents, obligations, actions, notifications)


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def listed(response, pk):
    """A list's answer to "is ``pk`` in it?", or the refusal itself."""
    if response.status_code != 200:
        return response
    return "listed" if pk in ids(response) else "hidden"


def incident_body(world, side, **extra):
    return {
        "title": "新事件",
        "severity": "general",
        "discovered_at": "2026-07-01T17:00:00",
        "department": world.departments[side].pk,
        **extra,
    }


def close_incident(client, world, side):
    incident = world.incidents[side]
    for obligation in incident.obligations.filter(state__in=["pending", "overdue"]):
        obligation.state, obligation.waived_reason = "waived", "测试"
        obligation.save()
    return client.post(f"/api/v1/incidents/{incident.pk}/close/", {"reason": "处置完毕"}, format="json")


def notification_of(world, side, role):
    """ "own": addressed to the caller; "other": addressed to a person of the other city."""
    return world.notifications[role if side == "own" and role != "anonymous" else "other"]


def peer_of(world, side):
    """Another bureau under the same government as ``side``'s department: where a transfer sends it."""
    return DepartmentFactory(name="兄弟单位", parent=world.departments[side].parent)


def pending_waiver(world, side):
    """A waiver asked for on ``side``'s internal report by a duty officer of that department, none of the
    callers: so that no caller is its requester."""
    incident = world.incidents[side]
    requester = PersonFactory(department=incident.department, roles=[Role.DUTY_OFFICER])
    return ask_waiver(world.obligations[side], reason="已合并处理", actor=requester, now=NOW)


def verification_report(world, side):
    return world.incidents[side].obligations.get(kind="verification_report")


def request_listed(client, world, side):
    request = pending_waiver(world, side)
    return listed(client.get("/api/v1/requests/"), request.pk)


def duplicate_of(world, side):
    """A second incident of ``side``'s department: what the first is merged into."""
    return log_incident(
        title=f"{side}重复事件", severity="major", department=world.departments[side], discovered_at=DISCOVERED, now=NOW
    )


def closed(world, side):
    incident = world.incidents[side]
    incident.obligations.filter(state__in=["pending", "overdue"]).update(state="waived", waived_reason="测试")
    return close(incident, reason="处置完毕", actor=None, now=NOW)


def decide(client, world, side, verdict):
    request = pending_waiver(world, side)
    return client.post(f"/api/v1/requests/{request.pk}/{verdict}/", {"note": "同意"}, format="json")


DRAFT = {"kind": "statement", "channels": ["weibo"], "text": "关于网传路面塌陷的情况通报。"}


def leader_of(world, side):
    """The principal leader of ``side``'s department (none of the callers): who signs off, and is reported to."""
    department = world.departments[side]
    if department.principal_leader is None:
        department.principal_leader = PersonFactory(department=department, roles=[Role.LEADER])
        department.save()
    return department.principal_leader


def interview_on(world, side):
    """A 约谈整改 on ``side``'s overdue internal report, by an auditor who is none of the callers: the department
    owes a rectification report."""
    auditor = PersonFactory(department=world.departments[side], roles=[Role.AUDITOR])
    obligation = world.obligations[side]
    return record_finding(obligation, kind="interview", note="约谈", decided_on=NOW.date(), actor=auditor, now=NOW)


def draft_in_review(world, side):
    """A draft of ``side``'s incident by a duty officer of that department who is none of the callers."""
    incident = world.incidents[side]
    author = PersonFactory(department=incident.department, roles=[Role.DUTY_OFFICER])
    return create_draft(incident, **DRAFT, actor=author, now=NOW)


def draft_listed(client, world, side):
    draft = draft_in_review(world, side)
    return listed(client.get("/api/v1/drafts/"), draft.pk)


def approved_draft(world, side):
    """A draft whose four gates were approved by reviewers of ``side``'s department, none of them a caller."""
    draft = draft_in_review(world, side)
    for gate in draft.gates:
        reviewer = PersonFactory(department=draft.incident.department, roles=[Role.REVIEWER], review_gates=[gate])
        decide_gate(draft, gate, decision="approve", actor=reviewer, now=NOW)
    return draft


def signed_off_draft(world, side):
    draft = approved_draft(world, side)
    sign_off(draft, actor=leader_of(world, side), now=NOW)
    return draft


OPERATIONS = {
    "departments.list": lambda c, w, s, r: listed(c.get("/api/v1/departments/"), w.departments[s].pk),
    "departments.retrieve": lambda c, w, s, r: c.get(f"/api/v1/departments/{w.departments[s].pk}/"),
    "departments.create": lambda c, w, s, r: c.post(
        "/api/v1/departments/", {"name": "新部门", "code": "new", "parent": w.departments[s].pk}, format="json"
    ),
    "departments.update": lambda c, w, s, r: c.patch(
        f"/api/v1/departments/{w.departments[s].pk}/", {"name": "改名"}, format="json"
    ),
    "people.list": lambda c, w, s, r: (
        listed(c.get("/api/v1/people/", {"page_size": 500}), w.people["other"].pk)
        if s == "other"
        else listed(c.get("/api/v1/people/", {"page_size": 500}), w.people["leader"].pk)
    ),
    "people.retrieve": lambda c, w, s, r: c.get(
        f"/api/v1/people/{(w.people['other'] if s == 'other' else w.people['leader']).pk}/"
    ),
    "people.create": lambda c, w, s, r: c.post(
        "/api/v1/people/",
        {"username": "newcomer", "password": "Jiangcheng-2026!", "department": w.departments[s].pk},
        format="json",
    ),
    "people.update": lambda c, w, s, r: c.patch(
        f"/api/v1/people/{(w.people['other'] if s == 'other' else w.people['leader']).pk}/",
        {"phone": "13900000000"},
        format="json",
    ),
    "incidents.list": lambda c, w, s, r: listed(c.get("/api/v1/incidents/"), w.incidents[s].pk),
    "incidents.retrieve": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/"),
    "incidents.create": lambda c, w, s, r: c.post("/api/v1/incidents/", incident_body(w, s), format="json"),
    "incidents.update": lambda c, w, s, r: c.patch(
        f"/api/v1/incidents/{w.incidents[s].pk}/", {"summary": "补充"}, format="json"
    ),
    "incidents.actions.list": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/actions/"),
    "incidents.actions.create": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/actions/",
        {"kind": "internal_report", "published_at": "2026-07-01T17:00:00", "summary": "已报告"},
        format="json",
    ),
    "incidents.actions.rectification": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/actions/",
        {
            "kind": "rectification_report",
            "finding": interview_on(w, s).pk,
            "published_at": "2026-07-01T18:00:00",
            "evidence_file": SimpleUploadedFile("整改报告.pdf", PDF),
        },
        format="multipart",
    ),
    "incidents.regrade": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/regrade/", {"severity": "general", "reason": "降级"}, format="json"
    ),
    "incidents.close": lambda c, w, s, r: close_incident(c, w, s),
    "incidents.timeline": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/timeline/"),
    "evidence.download": lambda c, w, s, r: c.get(f"/api/v1/actions/{w.actions[s].pk}/evidence/"),
    "obligations.list": lambda c, w, s, r: listed(c.get("/api/v1/obligations/"), w.obligations[s].pk),
    "obligations.retrieve": lambda c, w, s, r: c.get(f"/api/v1/obligations/{w.obligations[s].pk}/"),
    "obligations.waive": lambda c, w, s, r: c.post(
        f"/api/v1/obligations/{w.obligations[s].pk}/waive/", {"reason": "并案"}, format="json"
    ),
    "obligations.accountability": lambda c, w, s, r: c.post(
        f"/api/v1/obligations/{w.obligations[s].pk}/accountability/",
        {"kind": "criticism", "note": "超时", "decided_on": "2026-07-01"},
        format="json",
    ),
    "calendar.retrieve": lambda c, w, s, r: c.get("/api/v1/calendar/2026/"),
    "calendar.update": lambda c, w, s, r: c.put(
        "/api/v1/calendar/2032/", {"holidays": ["2032-01-01"], "workdays": []}, format="json"
    ),
    "notifications.list": lambda c, w, s, r: listed(
        c.get("/api/v1/notifications/", {"page_size": 500}), notification_of(w, s, r).pk
    ),
    "notifications.retrieve": lambda c, w, s, r: c.get(f"/api/v1/notifications/{notification_of(w, s, r).pk}/"),
    "notifications.acknowledge": lambda c, w, s, r: c.post(
        f"/api/v1/notifications/{notification_of(w, s, r).pk}/acknowledge/"
    ),
    "reports.compliance": lambda c, w, s, r: c.get(
        "/api/v1/reports/compliance/", {"start": "2026-07-01", "end": "2026-07-01", "department": w.departments[s].pk}
    ),
    "reports.breaches": lambda c, w, s, r: c.get(
        "/api/v1/reports/breaches/", {"start": "2026-07-01", "end": "2026-07-01", "department": w.departments[s].pk}
    ),
    "reports.ranking": lambda c, w, s, r: c.get(
        "/api/v1/reports/ranking/",
        {"start": "2026-07-01", "end": "2026-07-01", "government": w.departments[s].parent_id},
    ),
    "readiness": lambda c, w, s, r: c.get("/api/v1/readiness/"),
    "audit.changes": lambda c, w, s, r: c.get("/api/v1/audit/changes/", {"object": "department"}),
    "audit.verify": lambda c, w, s, r: c.get("/api/v1/audit/verify/", {"incident": w.incidents[s].pk}),
    "drills": lambda c, w, s, r: c.post(
        "/api/v1/drills/",
        {"channels": ["email"], "people": [(w.people["other"] if s == "other" else w.people["leader"]).pk]},
        format="json",
    ),
    "ingest": lambda c, w, s, r: c.post("/api/v1/ingest/", incident_body(w, s, external_id=f"ext-{s}"), format="json"),
    "incidents.transfer": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/transfer/",
        {"department": peer_of(w, s).pk, "reason": "属兄弟单位职责"},
        format="json",
    ),
    "incidents.return": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/return/", {"reason": "不属本单位职责"}, format="json"
    ),
    "incidents.instructions.list": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/instructions/"),
    "incidents.instructions.create": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/instructions/",
        {"text": "请及时回应", "departments": [w.departments[s].pk]},
        format="json",
    ),
    "obligations.extensions": lambda c, w, s, r: c.post(
        f"/api/v1/obligations/{verification_report(w, s).pk}/extensions/",
        {"due_at": (verification_report(w, s).due_at + timedelta(days=1)).isoformat(), "reason": "需补充调查"},
        format="json",
    ),
    "obligations.waiver_requests": lambda c, w, s, r: c.post(
        f"/api/v1/obligations/{w.obligations[s].pk}/waiver-requests/", {"reason": "已并案"}, format="json"
    ),
    "requests.list": lambda c, w, s, r: request_listed(c, w, s),
    "incidents.assessments.list": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/assessments/"),
    "incidents.assessments.create": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/assessments/",
        {"held_at": (NOW - timedelta(hours=1)).isoformat(), "conclusion": "维持重大"},
        format="json",
    ),
    "incidents.merge": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/merge/",
        {"into": duplicate_of(w, s).pk, "reason": "重复"},
        format="json",
    ),
    "incidents.follow_on": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{closed(w, s).pk}/follow-on/",
        {"title": "再次发酵", "severity": "general", "discovered_at": NOW.isoformat()},
        format="json",
    ),
    "requests.approve": lambda c, w, s, r: decide(c, w, s, "approve"),
    "requests.refuse": lambda c, w, s, r: decide(c, w, s, "refuse"),
    "incidents.drafts.list": lambda c, w, s, r: c.get(f"/api/v1/incidents/{w.incidents[s].pk}/drafts/"),
    "incidents.drafts.create": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/drafts/", {**DRAFT, "text": "情况通报"}, format="json"
    ),
    "drafts.list": lambda c, w, s, r: draft_listed(c, w, s),
    "drafts.retrieve": lambda c, w, s, r: c.get(f"/api/v1/drafts/{draft_in_review(w, s).pk}/"),
    "drafts.versions": lambda c, w, s, r: c.post(
        f"/api/v1/drafts/{draft_in_review(w, s).pk}/versions/", {"text": "情况通报（修改稿）"}, format="json"
    ),
    "drafts.gates": lambda c, w, s, r: c.post(
        f"/api/v1/drafts/{draft_in_review(w, s).pk}/gates/policy/", {"decision": "approve"}, format="json"
    ),
    "drafts.sign_off": lambda c, w, s, r: c.post(f"/api/v1/drafts/{approved_draft(w, s).pk}/sign-off/"),
    "drafts.publish": lambda c, w, s, r: c.post(
        f"/api/v1/drafts/{signed_off_draft(w, s).pk}/publish/",
        {"channel": "weibo", "published_at": NOW.isoformat(), "evidence_url": "https://weibo.com/1"},
        format="json",
    ),
    "drafts.verify": lambda c, w, s, r: c.post(
        f"/api/v1/drafts/{signed_off_draft(w, s).pk}/verify/", {"text": DRAFT["text"]}, format="json"
    ),
    "incidents.report.docx": lambda c, w, s, r: c.get(
        f"/api/v1/incidents/{w.incidents[s].pk}/report/", {"format": "docx"}
    ),
    "incidents.report.pdf": lambda c, w, s, r: c.get(
        f"/api/v1/incidents/{w.incidents[s].pk}/report/", {"format": "pdf"}
    ),
    "incidents.report.send": lambda c, w, s, r: c.post(
        f"/api/v1/incidents/{w.incidents[s].pk}/report/send/", {"recipients": [leader_of(w, s).pk]}, format="json"
    ),
}

# Each row: (own, other) for duty_officer, leader, reviewer, auditor, admin, integration; anonymous is 401 throughout.
SCOPED_READ = [
    ("listed", "hidden"),
    ("listed", "hidden"),
    ("listed", "hidden"),
    ("listed", "listed"),
    ("listed", "listed"),
    (403, 403),
]
SCOPED_GET = [(200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (403, 403)]
# Administration: only the admin creates or changes, in any department.
ADMIN_CREATES = [(403, 403), (403, 403), (403, 403), (403, 403), (201, 201), (403, 403)]
ADMIN_UPDATES = [(403, 403), (403, 403), (403, 403), (403, 403), (200, 200), (403, 403)]
# Handling an incident: the duty officer in their own department, the admin in any.
DUTY_OFFICER_HANDLES = [(200, 404), (403, 403), (403, 403), (403, 403), (200, 200), (403, 403)]
# Oversight reports: the auditor and the admin, for any department.
OVERSIGHT_READS = [(403, 403), (403, 403), (403, 403), (200, 200), (200, 200), (403, 403)]
# Every role that reads may ask; the service answers 403 to all but the lead's duty officers and the admin.
LEAD_DUTY_OFFICER_ASKS = [(201, 404), (403, 404), (403, 404), (403, 403), (201, 201), (403, 403)]
# The role may ask; the post or the request decides, so what the caller may read is a 403, the rest a 404.
SERVICE_REFUSES = [(403, 404), (403, 404), (403, 404), (403, 403)]
MATRIX = {
    "departments.list": SCOPED_READ,
    "departments.retrieve": SCOPED_GET,
    "departments.create": ADMIN_CREATES,
    "departments.update": ADMIN_UPDATES,
    "people.list": SCOPED_READ,
    "people.retrieve": SCOPED_GET,
    "people.create": ADMIN_CREATES,
    "people.update": ADMIN_UPDATES,
    "incidents.list": SCOPED_READ,
    "incidents.retrieve": SCOPED_GET,
    "incidents.create": [(201, 400), (403, 403), (403, 403), (403, 403), (201, 201), (403, 403)],
    # The office's leaders may change co-handling departments, so the role passes and scope answers: 404.
    "incidents.update": [(200, 404), (403, 404), (403, 404), (403, 403), (200, 200), (403, 403)],
    "incidents.actions.list": SCOPED_GET,
    "incidents.actions.create": LEAD_DUTY_OFFICER_ASKS,
    # A rectification report: the department interviewed (the own one here) and administrators; the others who
    # read the incident are refused by the service (403), the rest never see it (404).
    "incidents.actions.rectification": LEAD_DUTY_OFFICER_ASKS,
    # A duty officer's downgrade is a request (202); the role may regrade, so another department's is a 404.
    "incidents.regrade": [(202, 404), (403, 404), (403, 404), (403, 403), (200, 200), (403, 403)],
    "incidents.close": DUTY_OFFICER_HANDLES,
    "incidents.timeline": SCOPED_GET,
    "evidence.download": SCOPED_GET,
    "obligations.list": SCOPED_READ,
    "obligations.retrieve": SCOPED_GET,
    "obligations.waive": [(403, 403), (200, 404), (403, 403), (403, 403), (200, 200), (403, 403)],
    "obligations.accountability": [(403, 403), (403, 403), (403, 403), (201, 201), (201, 201), (403, 403)],
    "calendar.retrieve": [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (403, 403)],
    "calendar.update": ADMIN_UPDATES,
    "notifications.list": SCOPED_READ,
    "notifications.retrieve": SCOPED_GET,
    "notifications.acknowledge": [(200, 404), (200, 404), (200, 404), (200, 403), (200, 403), (403, 403)],
    "reports.compliance": OVERSIGHT_READS,
    "reports.breaches": OVERSIGHT_READS,
    # Rankings of a government (the department's): auditors, administrators and the government office, none here.
    "reports.ranking": OVERSIGHT_READS,
    # No caller here works in a government office, which also reads it.
    "readiness": OVERSIGHT_READS,
    # Configuration changes: every department's, for auditors and administrators only.
    "audit.changes": OVERSIGHT_READS,
    # The timeline's chains and seals checked again: any incident's, for auditors and administrators only.
    "audit.verify": OVERSIGHT_READS,
    # A drill sends test messages to anyone in any department: administrators only.
    "drills": ADMIN_CREATES,
    "ingest": [(403, 403), (403, 403), (403, 403), (403, 403), (201, 201), (201, 400)],
    # Casework: the government office transfers (none of these callers works in it), the lead's duty officers
    # ask, a leader in scope decides a waiver; the services refuse with 403 what the role or post does not allow.
    "incidents.transfer": [*SERVICE_REFUSES, (200, 200), (403, 403)],
    "incidents.return": LEAD_DUTY_OFFICER_ASKS,
    "incidents.instructions.list": SCOPED_GET,
    "incidents.instructions.create": [(403, 404), (201, 404), (403, 404), (403, 403), (201, 201), (403, 403)],
    "obligations.extensions": LEAD_DUTY_OFFICER_ASKS,
    "obligations.waiver_requests": LEAD_DUTY_OFFICER_ASKS,
    "incidents.assessments.list": SCOPED_GET,
    "incidents.assessments.create": LEAD_DUTY_OFFICER_ASKS,
    "incidents.merge": [(403, 404), (200, 404), (403, 404), (403, 403), (200, 200), (403, 403)],
    "incidents.follow_on": LEAD_DUTY_OFFICER_ASKS,
    "requests.list": SCOPED_READ,
    "requests.approve": [(403, 404), (200, 404), (403, 404), (403, 403), (200, 200), (403, 403)],
    "requests.refuse": [(403, 404), (200, 404), (403, 404), (403, 403), (200, 200), (403, 403)],
    # Statements: the lead's duty officers (and the admin) draft, revise and publish; the gate's reviewer and the
    # lead department's leaders decide it; administrators neither review nor sign off by being administrators (a
    # signed-off text carries the name of someone who answers for it), and no caller here holds the lead's
    # responsible or principal post, so none signs off.
    "incidents.drafts.list": SCOPED_GET,
    "incidents.drafts.create": LEAD_DUTY_OFFICER_ASKS,
    "drafts.list": SCOPED_READ,
    "drafts.retrieve": SCOPED_GET,
    "drafts.versions": LEAD_DUTY_OFFICER_ASKS,
    "drafts.gates": [(403, 404), (200, 404), (200, 404), (403, 403), (403, 403), (403, 403)],
    "drafts.sign_off": [*SERVICE_REFUSES, (403, 403), (403, 403)],
    "drafts.publish": LEAD_DUTY_OFFICER_ASKS,
    "drafts.verify": [(200, 404), (200, 404), (200, 404), (200, 200), (200, 200), (403, 403)],
    # 舆情专报: read by whoever reads the incident; sent by the lead's duty officers and administrators.
    "incidents.report.docx": SCOPED_GET,
    "incidents.report.pdf": SCOPED_GET,
    "incidents.report.send": LEAD_DUTY_OFFICER_ASKS,
}
CELLS = [
    pytest.param(operation, role, side, expected, id=f"{operation}-{role}-{side}")
    for operation, row in MATRIX.items()
    for role, pair in zip(ROLES, [*row, (401, 401)], strict=True)
    for side, expected in zip(("own", "other"), pair, strict=True)
]


def test_every_operation_is_in_the_matrix():
    assert set(MATRIX) == set(OPERATIONS)


@pytest.mark.parametrize(("operation", "role", "side", "expected"), CELLS)
def test_permission(world, operation, role, side, expected):
    response = OPERATIONS[operation](world.client(role), world, side, role)
    if isinstance(expected, str):
        assert response == expected
    else:
        assert response.status_code == expected, response.content[:300]


def test_a_refused_write_changes_nothing(world):
    before = Incident.objects.count(), Action.objects.count(), Draft.objects.count()
    for role in ("leader", "reviewer", "auditor", "integration"):
        OPERATIONS["incidents.create"](world.client(role), world, "own", role)
        OPERATIONS["incidents.actions.create"](world.client(role), world, "own", role)
        OPERATIONS["incidents.drafts.create"](world.client(role), world, "own", role)
    assert (Incident.objects.count(), Action.objects.count(), Draft.objects.count()) == before
