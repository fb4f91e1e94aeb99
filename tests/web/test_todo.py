"""待办 (/todo/): each role's sections and nobody else's, each row linking to its incident, in bounded queries."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.casework.co_handling import set_co_departments
from incidents.casework.instructions import give_instruction
from incidents.casework.requests import ask_downgrade, ask_extension, ask_return, refuse
from incidents.casework.transfer import transfer
from incidents.models import Role

from ..conftest import beijing
from ..factories import DepartmentFactory, PersonFactory

HOUR = timedelta(hours=1)
DISCOVERED = beijing(2026, 3, 10, 10)  # a Tuesday
NOW = DISCOVERED + HOUR / 2  # before every deadline

SECTIONS = (
    "obligations",
    "instructions",
    "refused",
    "to-decide",
    "given",
    "escalations",
    "returns",
    "dispatch",
    # the statements app's, contributed without this app naming them
    "gates",
    "sign-off",
    "statements",
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def todo(client, **headers) -> str:
    answer = client.get("/todo/", **headers)
    assert answer.status_code == 200
    return answer.content.decode()


def sections_in(page) -> set[str]:
    return {name for name in SECTIONS if f'id="todo-{name}"' in page}


def section(page, name) -> str:
    """The HTML of one section of the page."""
    found = re.search(rf'<section class="todo" id="todo-{name}">(.*?)</section>', page, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def test_each_role_sees_its_own_sections(signed_in, org, office_officer):
    duty = {"obligations", "instructions", "refused", "statements"}
    assert sections_in(todo(signed_in(org.duty_officer))) == duty
    assert sections_in(todo(signed_in(org.leader))) == {"to-decide", "given", "escalations", "sign-off"}
    office_head = todo(signed_in(org.office_head))
    assert sections_in(office_head) == {"to-decide", "given", "escalations", "returns", "dispatch", "sign-off"}
    assert sections_in(todo(signed_in(office_officer))) == {*duty, "returns", "dispatch"}
    reviewer = PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=["legal"])
    assert sections_in(todo(signed_in(reviewer))) == {"gates"}
    # Each section says so when it is empty.
    assert "没有待您审批的申请。" in section(office_head, "to-decide")
    assert "没有待决定的退回申请。" in section(office_head, "returns")


def test_an_auditor_may_not_open_the_page_nor_is_offered_it(signed_in, org):
    auditor = signed_in(PersonFactory(department=org.office, roles=[Role.AUDITOR]))
    assert auditor.get("/todo/").status_code == 403
    assert 'href="/todo/"' not in auditor.get("/compliance/").content.decode()
    duty = signed_in(org.duty_officer)
    assert 'href="/todo/"' in duty.get("/incidents/").content.decode()


def test_a_reviewer_starts_on_it_and_finds_it_in_the_top_bar(signed_in, org):
    reviewer = signed_in(PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=["legal"]))
    assert reviewer.get("/").headers["Location"] == "/todo/"
    page = todo(reviewer)
    assert 'href="/todo/"' in page
    assert "没有待您审核的回应稿。" in section(page, "gates")


def test_the_top_bar_puts_it_between_the_duty_board_and_my_escalations(signed_in, org):
    page = signed_in(org.leader).get("/incidents/").content.decode()
    assert page.index('href="/incidents/"') < page.index('href="/todo/"') < page.index('href="/escalations/"')


def test_a_duty_officer_sees_the_open_obligations_of_their_incidents_nearest_first(signed_in, org, log, housing):
    ours = log(discovered_at=DISCOVERED)
    theirs = log(title="网传医院停诊", discovered_at=DISCOVERED, department=housing.department, actor=None)
    obligations = section(todo(signed_in(org.duty_officer)), "obligations")
    assert f'href="/incidents/{ours.pk}/"' in obligations
    assert f'href="/incidents/{theirs.pk}/"' not in obligations
    shown = [int(pk) for pk in re.findall(r'data-obligation="(\d+)"', obligations)]
    expected = list(ours.obligations.filter(instruction=None).order_by("due_at", "pk").values_list("pk", flat=True))
    assert shown == expected
    assert 'class="clock' in obligations


def test_a_pending_downgrade_shows_for_the_principal_leader_with_its_deadlines(signed_in, org, log):
    incident = log(discovered_at=DISCOVERED)
    request = ask_downgrade(incident, severity="general", reason="经核实影响有限", actor=org.duty_officer, now=NOW)

    to_decide = section(todo(signed_in(org.leader)), "to-decide")
    assert f'data-request="{request.pk}"' in to_decide
    assert f'href="/incidents/{incident.pk}/"' in to_decide
    assert "经核实影响有限" in to_decide
    assert org.duty_officer.display_name in to_decide
    statement = incident.obligations.get(kind="first_statement")
    assert f'data-obligation="{statement.pk}"' in to_decide, "the deadline a downgrade affects"
    assert 'class="clock' in to_decide

    assert "to-decide" not in sections_in(todo(signed_in(org.duty_officer)))
    stranger = PersonFactory(department=DepartmentFactory(parent=org.government), roles=[Role.LEADER])
    assert f'data-request="{request.pk}"' not in section(todo(signed_in(stranger)), "to-decide")


def test_an_extension_shows_the_current_and_the_asked_deadline(signed_in, org, log):
    incident = log(discovered_at=DISCOVERED)
    report = incident.obligations.get(kind="verification_report")
    later = report.due_at + timedelta(days=1)
    request = ask_extension(report, due_at=later, reason="需要补充调查", actor=org.duty_officer, now=NOW)

    to_decide = section(todo(signed_in(org.deputy)), "to-decide")
    assert f'data-request="{request.pk}"' in to_decide
    assert f'data-obligation="{report.pk}"' in to_decide
    assert later.astimezone(DISCOVERED.tzinfo).strftime("%m-%d %H:%M") in to_decide
    assert report.due_at.astimezone(DISCOVERED.tzinfo).strftime("%m-%d %H:%M") in to_decide


def test_a_refused_request_shows_for_its_requester_for_30_days(signed_in, org, log, clock):
    incident = log(discovered_at=DISCOVERED)
    request = ask_downgrade(incident, severity="general", reason="经核实影响有限", actor=org.duty_officer, now=NOW)
    refuse(request, note="舆情仍在发酵", actor=org.leader, now=NOW)

    refused = section(todo(signed_in(org.duty_officer)), "refused")
    assert f'data-request="{request.pk}"' in refused
    assert "舆情仍在发酵" in refused
    assert org.leader.display_name in refused
    assert f'href="/incidents/{incident.pk}/"' in refused
    assert f'data-request="{request.pk}"' not in section(todo(signed_in(org.leader)), "to-decide")

    clock.move_to(NOW + timedelta(days=31))
    assert f'data-request="{request.pk}"' not in section(todo(signed_in(org.duty_officer)), "refused")


def test_an_instruction_shows_for_the_addressee_and_for_the_leader_who_gave_it(signed_in, org, log, housing):
    incident = log(discovered_at=DISCOVERED)
    instruction = give_instruction(
        incident, text="请卫健委核实医院情况", departments=[housing.department], actor=org.leader, now=NOW
    )

    to_answer = section(todo(signed_in(housing.duty_officer)), "instructions")
    assert f'data-instruction="{instruction.pk}"' in to_answer
    assert "请卫健委核实医院情况" in to_answer
    assert org.leader.display_name in to_answer
    assert f'href="/incidents/{incident.pk}/"' in to_answer
    assert f'data-instruction="{instruction.pk}"' not in section(todo(signed_in(org.duty_officer)), "instructions")

    given = section(todo(signed_in(org.leader)), "given")
    assert f'data-instruction="{instruction.pk}"' in given
    assert f'<li data-department="{housing.department.pk}" data-state="pending">' in given
    assert housing.department.name in given
    assert "尚未回复" in given


def test_the_office_sees_a_pending_return_and_the_incidents_to_dispatch(signed_in, org, log, office_officer):
    yesterday = DISCOVERED - timedelta(hours=25)
    old = log(title="网传公交停运", discovered_at=yesterday, now=yesterday)
    incident = log(discovered_at=DISCOVERED)
    shared = log(title="网传地铁故障", discovered_at=DISCOVERED)
    request = ask_return(incident, reason="属于住建部门职责", actor=org.duty_officer, now=NOW)

    for person in (org.office_head, office_officer):
        page = todo(signed_in(person))
        returns = section(page, "returns")
        assert f'data-request="{request.pk}"' in returns
        assert "属于住建部门职责" in returns
        assert f'href="/incidents/{incident.pk}/"' in returns
        dispatch = section(page, "dispatch")
        assert f'data-incident="{incident.pk}"' in dispatch
        assert f'data-incident="{shared.pk}"' in dispatch
        assert f'data-incident="{old.pk}"' not in dispatch, "logged more than 24 hours ago"
        assert dispatch.index(f'data-incident="{shared.pk}"') < dispatch.index(f'data-incident="{incident.pk}"')

    assert f'data-request="{request.pk}"' not in section(todo(signed_in(org.leader)), "to-decide")

    health = DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    set_co_departments(shared, departments=[health], actor=org.duty_officer, now=NOW)
    transfer(incident, department=health, reason="职责调整", actor=office_officer, now=NOW)
    dispatch = section(todo(signed_in(office_officer)), "dispatch")
    assert 'data-incident="' not in dispatch
    assert "没有待分派的舆情。" in dispatch


def test_the_queries_do_not_grow_with_the_rows(signed_in, org, log, housing):
    def queries(person):
        client = signed_in(person)
        todo(client)
        with CaptureQueriesContext(connection) as captured:
            todo(client)
        return len(captured)

    def casework(title):
        incident = log(title=title, discovered_at=DISCOVERED)
        ask_downgrade(incident, severity="general", reason="影响有限", actor=org.duty_officer, now=NOW)
        give_instruction(incident, text="请核实", departments=[housing.department], actor=org.office_head, now=NOW)
        return incident

    casework("网传路面塌陷")
    before = {person: queries(person) for person in (org.duty_officer, org.office_head, housing.duty_officer)}
    casework("网传桥梁开裂")
    casework("网传隧道渗水")
    after = {person: queries(person) for person in before}
    assert after == before


def test_the_page_in_english(signed_in, org, log):
    incident = log(discovered_at=DISCOVERED)
    ask_downgrade(incident, severity="general", reason="经核实影响有限", actor=org.duty_officer, now=NOW)
    leader = signed_in(org.leader)
    page = todo(leader, HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>To do</h1>" in page
    assert "Requests to decide" in page
    assert "Downgrade" in page

    leader.post("/i18n/setlang/", {"language": "en", "next": "/todo/"})
    assert "Instructions you gave" in todo(leader)
