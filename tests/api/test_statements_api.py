"""Statements through the API (docs/api.md, "Statements"; docs/rules.md, "Statements: drafting and sign-off"):
a duty officer drafts, reviewers decide the four gates, a leader of the lead signs off, the duty officer
publishes, and anyone who may read the incident checks that what went out is what was approved."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Person, ReviewGate, Role
from incidents.services.actions import record_action
from statements.models import Draft, DraftVersion, FlaggedPhrase, HoldingTemplate, ReviewPolicy

from ..clients import client_for, get_as, post_as
from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

MINUTE = timedelta(minutes=1)
DISCOVERED = beijing(2026, 3, 10, 10, 0)
START = DISCOVERED + 10 * MINUTE
TEXT = "3月10日上午，市交通运输局关注到网民反映的路面塌陷情况，已第一时间赶赴现场处置，1名受伤人员已送医救治。"
GATES = ["policy", "wording", "secrecy", "legal"]
HOLDING = "快报事实 · 首次通报"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def incident(log):
    return log(discovered_at=DISCOVERED, now=DISCOVERED)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def draft_of(person, incident, text=TEXT, **body) -> dict:
    answer = post_as(
        person,
        f"/api/v1/incidents/{incident.pk}/drafts/",
        {"kind": "statement", "channels": ["weibo", "website"], "text": text, **body},
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def step(person, draft, name, body=None):
    return post_as(person, f"/api/v1/drafts/{draft['id']}/{name}/", body or {})


def decide(person, draft, gate, decision="approve", comment="", **body):
    return step(person, draft, f"gates/{gate}", {"decision": decision, "comment": comment, **body})


def approve_all(reviewers, draft) -> dict:
    for gate in GATES:
        answer = decide(reviewers[gate], draft, gate)
        assert answer.status_code == 200, answer.json()
    return answer.json()


def publish(person, draft, **body):
    fields = {"channel": "weibo", "published_at": START.isoformat(), "evidence_url": "https://weibo.com/jc/1", **body}
    return step(person, draft, "publish", fields)


def gate_states(draft_json) -> dict:
    return {gate["gate"]: gate["state"] for gate in draft_json["gates"]}


def timeline_kinds(person, incident) -> list[str]:
    events = get_as(person, f"/api/v1/incidents/{incident.pk}/timeline/", {"page_size": 500}).json()["results"]
    return [event["kind"] for event in events]


def first_statement(person, incident) -> dict:
    obligations = get_as(person, f"/api/v1/incidents/{incident.pk}/").json()["obligations"]
    [found] = [o for o in obligations if o["kind"] == "first_statement"]
    return found


def holding_template() -> HoldingTemplate:
    return HoldingTemplate.objects.get(government=None, name=HOLDING)


# --- the whole way: drafted, returned, revised, approved, signed off, published, verified -------------------


def test_a_statement_is_returned_revised_approved_signed_off_published_and_verified(org, incident, reviewers, clock):
    draft = draft_of(org.duty_officer, incident)
    assert draft["state"] == "in_review"
    assert (draft["kind"], draft["channels"]) == ("statement", ["weibo", "website"])
    [first] = draft["versions"]
    assert (first["number"], first["text"], first["sha256"]) == (1, TEXT, sha256(TEXT))
    assert (first["created_by"], first["flags"]) == (org.duty_officer.pk, [])
    assert gate_states(draft) == dict.fromkeys(GATES, "pending")

    clock.shift(10 * MINUTE)
    returned = decide(reviewers["secrecy"], draft, "secrecy", "return", "请删去伤者信息。")
    assert returned.status_code == 200, returned.json()
    [secrecy] = [gate for gate in returned.json()["gates"] if gate["gate"] == "secrecy"]
    assert secrecy["state"] == "returned"
    assert (secrecy["by"], secrecy["comment"]) == (reviewers["secrecy"].pk, "请删去伤者信息。")
    again = decide(reviewers["secrecy"], draft, "secrecy")
    assert (again.status_code, list(again.json())) == (400, ["non_field_errors"]), "decided once per version"

    revised_text = TEXT.replace("，1名受伤人员已送医救治", "")
    revised = step(org.duty_officer, draft, "versions", {"text": revised_text})
    assert revised.status_code == 201, revised.json()
    assert [v["number"] for v in revised.json()["versions"]] == [1, 2]
    assert revised.json()["versions"][0]["text"] == TEXT, "a version is never overwritten"
    assert gate_states(revised.json()) == dict.fromkeys(GATES, "pending"), "a new version starts every gate again"
    stale = decide(reviewers["policy"], draft, "policy", version=1)
    assert (stale.status_code, list(stale.json())) == (400, ["non_field_errors"]), "version 1 was replaced"

    clock.shift(20 * MINUTE)
    approved = approve_all(reviewers, draft)
    assert gate_states(approved) == dict.fromkeys(GATES, "approved")
    assert (approved["state"], approved["signed_off_by"]) == ("in_review", None)

    clock.shift(10 * MINUTE)
    signed = step(org.leader, draft, "sign-off")
    assert signed.status_code == 200, signed.json()
    assert signed.json()["state"] == "signed_off"
    assert signed.json()["signed_off_by"] == org.leader.pk
    assert (signed.json()["gates_skipped"], signed.json()["flags_acknowledged"]) == ([], False)

    clock.shift(5 * MINUTE)
    published = publish(org.duty_officer, draft, published_at=(START + 44 * MINUTE).isoformat())
    assert published.status_code == 201, published.json()
    action = published.json()
    assert (action["kind"], action["channel"], action["draft"]) == ("statement", "weibo", draft["id"])
    version = revised.json()["versions"][1]
    assert action["text"] == version["text"] == revised_text
    assert action["text_sha256"] == version["sha256"] == sha256(revised_text)
    assert first_statement(org.duty_officer, incident)["state"] == "met"
    assert first_statement(org.duty_officer, incident)["met_by"] == action["id"]

    listed = get_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/actions/").json()["results"]
    assert [(a["id"], a["draft"], a["text_sha256"]) for a in listed] == [(action["id"], draft["id"], version["sha256"])]
    shown = get_as(org.duty_officer, f"/api/v1/drafts/{draft['id']}/").json()
    assert (shown["state"], shown["publications"]) == ("published", [action["id"]])

    for reader in (PersonFactory(department=org.office, roles=[Role.AUDITOR]), org.deputy):
        same = step(reader, draft, "verify", {"text": revised_text}).json()
        assert same == {
            "matches": True,
            "sha256": version["sha256"],
            "approved_sha256": version["sha256"],
            "version": 2,
        }
        changed = step(reader, draft, "verify", {"text": revised_text + " "}).json()
        assert (changed["matches"], changed["sha256"]) == (False, sha256(revised_text + " "))

    kinds = timeline_kinds(org.duty_officer, incident)
    statement_steps = {"draft_created", "gate_returned", "draft_version", "gate_approved", "signed_off"}
    assert [kind for kind in kinds if kind in statement_steps] == [
        "draft_created",
        "gate_returned",
        "draft_version",
        *["gate_approved"] * 4,
        "signed_off",
    ]
    assert kinds.index("action_recorded") > kinds.index("signed_off")


def test_publishing_needs_the_current_version_signed_off(org, incident, reviewers, clock):
    draft = draft_of(org.duty_officer, incident)
    refused = publish(org.duty_officer, draft)
    assert refused.status_code == 400
    assert list(refused.json()) == ["non_field_errors"]

    approve_all(reviewers, draft)
    refused = publish(org.duty_officer, draft)
    assert (refused.status_code, list(refused.json())) == (400, ["non_field_errors"]), "approved is not signed off"

    clock.shift(5 * MINUTE)
    assert step(org.deputy, draft, "sign-off").status_code == 200
    clock.shift(5 * MINUTE)
    assert step(org.duty_officer, draft, "versions", {"text": TEXT + "（更新）"}).status_code == 201
    refused = publish(org.duty_officer, draft, published_at=(START + 10 * MINUTE).isoformat())
    assert (refused.status_code, list(refused.json())) == (400, ["non_field_errors"]), "a new version is not signed"
    assert first_statement(org.duty_officer, incident)["state"] == "pending"
    assert not incident.actions.exists()


def test_a_flagged_phrase_is_shown_to_reviewers_and_acknowledged_at_sign_off(org, incident, reviewers, clock):
    draft = draft_of(org.duty_officer, incident, text="对于网传情况，目前无可奉告。")
    seen = get_as(reviewers["wording"], f"/api/v1/drafts/{draft['id']}/")
    assert seen.status_code == 200
    reason = FlaggedPhrase.objects.get(government=None, phrase="无可奉告").reason
    assert seen.json()["versions"][-1]["flags"] == [{"phrase": "无可奉告", "reason": reason}]
    approve_all(reviewers, draft)  # flags warn; they never block the gates

    clock.shift(5 * MINUTE)
    refused = step(org.leader, draft, "sign-off")
    assert refused.status_code == 400
    assert list(refused.json()) == ["acknowledge_flags"]
    english = client_for(org.leader, language="en").post(f"/api/v1/drafts/{draft['id']}/sign-off/", {}, format="json")
    assert english.json() == {"acknowledge_flags": ["Acknowledge the flagged phrases to sign off."]}

    signed = step(org.leader, draft, "sign-off", {"acknowledge_flags": True})
    assert signed.status_code == 200, signed.json()
    assert (signed.json()["flags_acknowledged"], signed.json()["state"]) == (True, "signed_off")


def test_a_holding_statement_from_a_template_goes_out_on_one_sign_off_and_the_skip_is_reported(org, incident, clock):
    template = holding_template()
    answer = post_as(
        org.duty_officer,
        f"/api/v1/incidents/{incident.pk}/drafts/",
        {"kind": "holding", "channels": ["weibo"], "template": template.pk},
    )
    assert answer.status_code == 201, answer.json()
    draft = answer.json()
    assert draft["template"] == template.pk
    assert incident.title in draft["versions"][0]["text"]
    assert "{title}" not in draft["versions"][0]["text"]

    clock.shift(15 * MINUTE)
    signed = step(org.deputy, draft, "sign-off")
    assert signed.status_code == 200, signed.json()
    assert signed.json()["gates_skipped"] == GATES
    assert gate_states(signed.json()) == dict.fromkeys(GATES, "pending"), "no gate was approved"
    event = incident.timeline.get(kind="signed_off")
    assert event.detail["gates_skipped"] == GATES

    published = publish(org.duty_officer, draft, published_at=(START + 15 * MINUTE).isoformat())
    assert published.status_code == 201, published.json()
    assert published.json()["text_sha256"] == draft["versions"][0]["sha256"]
    assert first_statement(org.duty_officer, incident)["state"] == "met"

    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    report = get_as(auditor, "/api/v1/reports/compliance/", {"start": "2026-03-10", "end": "2026-03-10"})
    assert report.status_code == 200
    assert report.json()["review_time"] == {
        "drafts": 1,
        "gates_skipped": 1,
        "median_seconds": 15 * 60,
        "p90_seconds": 15 * 60,
    }


def test_a_statement_not_from_a_template_waits_for_its_gates(org, incident, reviewers, clock):
    draft = draft_of(org.duty_officer, incident, kind="holding")
    refused = step(org.deputy, draft, "sign-off")
    assert (refused.status_code, list(refused.json())) == (400, ["non_field_errors"])


# --- 谁起草谁不审: the author does not approve their own draft, unless the government's policy allows it -------


@pytest.fixture
def author(org):
    """A duty officer of the lead who is also the policy gate's reviewer."""
    return PersonFactory(
        department=org.department, roles=[Role.DUTY_OFFICER, Role.REVIEWER], review_gates=[ReviewGate.POLICY]
    )


def test_the_author_of_a_draft_may_not_approve_its_gate(org, incident, author):
    draft = draft_of(author, incident)
    english = client_for(author, language="en")
    refused = english.post(f"/api/v1/drafts/{draft['id']}/gates/policy/", {"decision": "approve"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "The author of a draft does not approve its gates."}
    assert gate_states(get_as(author, f"/api/v1/drafts/{draft['id']}/").json())["policy"] == "pending"


def test_a_government_may_let_authors_review(org, incident, author):
    ReviewPolicy.objects.create(government=org.government, gates=GATES, authors_may_review=True)
    draft = draft_of(author, incident)
    approved = decide(author, draft, "policy")
    assert approved.status_code == 200, approved.json()
    assert gate_states(approved.json())["policy"] == "approved"


def test_a_reviewer_reviews_only_their_own_gates(org, incident, reviewers):
    draft = draft_of(org.duty_officer, incident)
    assert decide(reviewers["legal"], draft, "policy").status_code == 403
    assert decide(org.leader, draft, "policy").status_code == 200, "a leader of the lead reviews any gate"


# --- time in review, in the compliance report and on its page -------------------------------------------------


@pytest.mark.parametrize("minutes", [[30, 10, 50, 20, 40]])
def test_time_in_review_is_the_median_and_90th_percentile_from_first_draft_to_sign_off(
    org, incident, reviewers, clock, signed_in, minutes
):
    """Five drafts signed off after 30, 10, 50, 20 and 40 minutes: sorted 10…50, the nearest-rank median is the
    3rd (30 min) and the 90th percentile the ⌈4.5⌉ = 5th (50 min). A sixth, never signed off, is not counted."""
    for waited in minutes:
        clock.move_to(START)
        draft = draft_of(org.duty_officer, incident)
        approve_all(reviewers, draft)
        clock.move_to(START + waited * MINUTE)
        assert step(org.leader, draft, "sign-off").status_code == 200
    draft_of(org.duty_officer, incident)

    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    report = get_as(auditor, "/api/v1/reports/compliance/", {"start": "2026-03-10", "end": "2026-03-10"}).json()
    assert report["review_time"] == {"drafts": 5, "gates_skipped": 0, "median_seconds": 1800, "p90_seconds": 3000}
    elsewhere = get_as(auditor, "/api/v1/reports/compliance/", {"start": "2026-03-11", "end": "2026-03-11"}).json()
    assert elsewhere["review_time"] == {"drafts": 0, "gates_skipped": 0, "median_seconds": None, "p90_seconds": None}

    page = signed_in(auditor).get(reverse("web:compliance"), {"start": "2026-03-10", "end": "2026-03-10"})
    text = page.content.decode()
    labels = ["median time in review", "90th percentile of time in review", "statements signed off"]
    labels.append("holding statements signed off without review")
    for words in [*(gettext(label) for label in labels), "30分0秒", "50分0秒"]:
        assert words in text, words


# --- what a caller may not see is not there; bad input names its field ------------------------------------------


@pytest.fixture
def stranger(org):
    """A duty officer of another city: nothing of 江城 is theirs to read."""
    city = DepartmentFactory(name="河州市人民政府", is_government=True)
    return PersonFactory(department=DepartmentFactory(parent=city), roles=[Role.DUTY_OFFICER])


def test_drafts_of_an_incident_one_may_not_read_are_not_found(org, incident, stranger):
    draft = draft_of(org.duty_officer, incident)
    assert get_as(stranger, f"/api/v1/drafts/{draft['id']}/").status_code == 404
    assert get_as(stranger, f"/api/v1/incidents/{incident.pk}/drafts/").status_code == 404
    assert draft["id"] not in {d["id"] for d in get_as(stranger, "/api/v1/drafts/").json()["results"]}
    for name, body in [
        ("versions", {"text": "x"}),
        ("gates/policy", {"decision": "approve"}),
        ("sign-off", {}),
        ("publish", {"channel": "weibo", "published_at": START.isoformat(), "evidence_url": "https://a.cn"}),
        ("verify", {"text": TEXT}),
    ]:
        assert step(stranger, draft, name, body).status_code == 404, name
    assert post_as(stranger, f"/api/v1/incidents/{incident.pk}/drafts/", {"kind": "statement"}).status_code == 404


def test_the_drafts_list_filters_by_incident_and_state(org, incident, log, reviewers):
    other = log(title="另一事件", discovered_at=DISCOVERED, now=DISCOVERED)
    first = draft_of(org.duty_officer, incident)
    second = draft_of(org.duty_officer, other)
    approve_all(reviewers, second)
    assert step(org.leader, second, "sign-off").status_code == 200

    def ids(**query):
        return {d["id"] for d in get_as(org.duty_officer, "/api/v1/drafts/", query).json()["results"]}

    assert ids() == {first["id"], second["id"]}
    assert ids(incident=incident.pk) == {first["id"]}
    assert ids(state="signed_off") == {second["id"]}
    assert ids(incident=2**62) == set()
    assert get_as(org.duty_officer, "/api/v1/drafts/", {"state": "lost"}).status_code == 400
    listed = get_as(org.leader, f"/api/v1/incidents/{incident.pk}/drafts/").json()
    assert [d["id"] for d in listed["results"]] == [first["id"]]


def test_a_gate_the_draft_does_not_pass_is_not_found(org, incident, reviewers):
    ReviewPolicy.objects.create(government=org.government, gates=["policy", "legal"])
    draft = draft_of(org.duty_officer, incident)
    assert [gate["gate"] for gate in draft["gates"]] == ["policy", "legal"]
    for gate in ("secrecy", "nonsense", "POLICY", "%E4%B8%AD"):
        assert decide(reviewers["secrecy"], draft, gate).status_code == 404, gate


def test_a_publication_with_an_evidence_file_is_taken_as_multipart(org, incident, reviewers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    draft = draft_of(org.duty_officer, incident)
    approve_all(reviewers, draft)
    assert step(org.leader, draft, "sign-off").status_code == 200
    answer = client_for(org.duty_officer).post(
        f"/api/v1/drafts/{draft['id']}/publish/",
        {
            "channel": "website",
            "published_at": START.isoformat(),
            "evidence_file": SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32),
        },
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["evidence_file"].endswith(f"/api/v1/actions/{answer.json()['id']}/evidence/")
    assert answer.json()["text"] == TEXT


def test_the_actions_list_reads_its_drafts_in_a_constant_number_of_queries(org, incident, reviewers):
    draft = draft_of(org.duty_officer, incident)
    approve_all(reviewers, draft)
    step(org.leader, draft, "sign-off")
    publish(org.duty_officer, draft)
    client = client_for(org.duty_officer)
    path = f"/api/v1/incidents/{incident.pk}/actions/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    before = queries()
    for hours in (1, 2, 3):
        record_action(
            incident,
            kind="briefing",
            published_at=DISCOVERED + hours * timedelta(minutes=1),
            evidence_url="https://jc.gov.cn/b",
            now=START,
        )
    assert queries() == before
    rows = client.get(path).json()["results"]
    assert [row["draft"] for row in rows] == [None, None, None, draft["id"]]
    assert {row["text"] for row in rows[:3]} == {""}


def test_the_drafts_list_reads_in_a_constant_number_of_queries(org, incident, reviewers):
    client = client_for(org.duty_officer)

    def queries(path) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    draft = draft_of(org.duty_officer, incident)
    paths = ["/api/v1/drafts/", f"/api/v1/incidents/{incident.pk}/drafts/"]
    before = [queries(path) for path in paths]
    approve_all(reviewers, draft)
    for _more in range(2):
        step(org.duty_officer, draft_of(org.duty_officer, incident), "versions", {"text": TEXT + "（修改）"})
    assert [queries(path) for path in paths] == before


# --- junk never breaks anything -------------------------------------------------------------------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["kind", "channels", "text", "template", "decision", "comment", "acknowledge_flags", "channel"]
FIELDS += ["published_at", "evidence_url", "version"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=4) | JUNK)
def test_no_body_breaks_a_statement_endpoint(org, incident, body):
    draft = Draft.objects.first() or Draft.objects.get(pk=draft_of(org.duty_officer, incident)["id"])
    client = client_for(org.duty_officer)
    for path in [
        f"/api/v1/incidents/{incident.pk}/drafts/",
        *(f"/api/v1/drafts/{draft.pk}/{name}/" for name in ("versions", "gates/policy", "sign-off", "publish")),
        f"/api/v1/drafts/{draft.pk}/verify/",
    ]:
        answer = client.post(path, body, format="json")
        assert answer.status_code < 500, (path, body)
        assert answer.status_code in (200, 201, 400, 403), (path, body, answer.content[:200])


# --- reviewers are people with the reviewer role and their gates, set by administrators ------------------------


@pytest.fixture
def admin(org):
    return PersonFactory(department=org.office, roles=[Role.ADMIN])


def test_administrators_give_reviewers_their_gates(org, admin):
    reviewer = PersonFactory(department=org.department, roles=[Role.REVIEWER])
    changed = client_for(admin).patch(
        f"/api/v1/people/{reviewer.pk}/", {"review_gates": ["secrecy", "policy"]}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["review_gates"] == ["policy", "secrecy"], "kept in the gates' own order"
    assert Person.objects.get(pk=reviewer.pk).review_gates == ["policy", "secrecy"]

    english = client_for(admin, language="en")
    for gates, message in [
        (["policy", "policy"], "Name each gate once."),
        (["spelling"], '"spelling" is not a valid choice.'),
    ]:
        refused = english.patch(f"/api/v1/people/{reviewer.pk}/", {"review_gates": gates}, format="json")
        assert refused.status_code == 400
        assert message in str(refused.json()["review_gates"]), refused.json()
    refused = english.patch(f"/api/v1/people/{org.leader.pk}/", {"review_gates": ["legal"]}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["review_gates"]), "only reviewers review gates"
    created = english.post(
        "/api/v1/people/",
        {
            "username": "legal-reviewer",
            "password": "Jiangcheng-2026!",
            "department": org.department.pk,
            "roles": ["reviewer"],
            "review_gates": ["legal"],
        },
        format="json",
    )
    assert (created.status_code, created.json()["review_gates"]) == (201, ["legal"])
    assert post_as(org.duty_officer, "/api/v1/people/", {"review_gates": ["legal"]}).status_code == 403


def test_the_person_admin_shows_and_edits_review_gates(org, admin_client):
    reviewer = PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=["wording"])
    url = reverse("admin:incidents_person_change", args=[reviewer.pk])
    assert 'name="review_gates"' in admin_client.get(reverse("admin:incidents_person_add")).content.decode()
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.initial["review_gates"] == ["wording"]
    data = {
        **{name: value for name, value in form.initial.items() if value is not None and name != "review_gates"},
        "groups": [group.pk for group in reviewer.groups.all()],
        "user_permissions": [],
        "review_gates": ["legal", "policy"],
        "date_joined_0": "2026-03-01",
        "date_joined_1": "09:00:00",
        "last_login_0": "",
        "last_login_1": "",
        "department": org.department.pk,
    }
    data.pop("password", None)
    saved = admin_client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    assert Person.objects.get(pk=reviewer.pk).review_gates == ["policy", "legal"]


# --- the statements admin: rules edited, the record only shown ---------------------------------------------------


def test_the_statements_admin_edits_rules_and_only_shows_the_record(org, incident, reviewers, admin_client):
    draft = draft_of(org.duty_officer, incident)
    approve_all(reviewers, draft)
    for model in ("reviewpolicy", "holdingtemplate", "flaggedphrase", "draft", "draftversion", "gatedecision"):
        assert admin_client.get(reverse(f"admin:statements_{model}_changelist")).status_code == 200, model
    for model in ("publication", "bulletin", "bulletincopy"):
        assert admin_client.get(reverse(f"admin:statements_{model}_changelist")).status_code == 200, model
    version = DraftVersion.objects.get(draft_id=draft["id"])
    shown = admin_client.get(reverse("admin:statements_draftversion_change", args=[version.pk]))
    assert shown.status_code == 200
    assert TEXT in shown.content.decode()
    assert admin_client.post(reverse("admin:statements_draftversion_change", args=[version.pk]), {}).status_code == 403
    assert admin_client.get(reverse("admin:statements_draft_add")).status_code == 403
    assert admin_client.get(reverse("admin:statements_draft_change", args=[draft["id"]])).status_code == 200

    sent = post_as(org.duty_officer, f"/api/v1/incidents/{incident.pk}/report/send/", {"recipients": [org.leader.pk]})
    assert sent.status_code == 201, sent.json()
    bulletin = admin_client.get(reverse("admin:statements_bulletin_change", args=[sent.json()["id"]]))
    assert bulletin.status_code == 200
    assert reverse("web:bulletin_document", args=[sent.json()["id"], "pdf"]) in bulletin.content.decode()
    assert "/media/" not in bulletin.content.decode()

    added = admin_client.post(
        reverse("admin:statements_reviewpolicy_add"), {"government": org.government.pk, "gates": "policy，legal"}
    )
    assert added.status_code == 302
    assert ReviewPolicy.objects.get(government=org.government).gates == ["policy", "legal"]
    refused = admin_client.post(
        reverse("admin:statements_reviewpolicy_add"), {"government": "", "gates": "policy, policy, spelling"}
    )
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["gates"]


def test_a_method_an_endpoint_does_not_take_is_not_allowed_whoever_asks(org, incident):
    for person in (org.duty_officer, org.leader):
        client = client_for(person)
        assert client.get(f"/api/v1/incidents/{incident.pk}/report/send/").status_code == 405
        assert client.put(f"/api/v1/incidents/{incident.pk}/report/", {}).status_code == 405
        assert client.delete(f"/api/v1/incidents/{incident.pk}/drafts/").status_code == 405
        assert client.get(f"/api/v1/incidents/{incident.pk}/merge/").status_code == 405
