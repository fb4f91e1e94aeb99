"""Configuration changes are audited (docs/rules.md, "Assessment (考核) and audit trust"): a change made in the admin
or through the API is listed by ``GET /api/v1/audit/changes/`` and on 配置变更, with who, when, before and after;
credentials only masked, never a password hash."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from incidents.models import Person, Role
from notifications.models import DutyShift, EscalationPolicy, Robot
from notifications.roster import import_roster

from ..clients import browser_for, client_for
from ..factories import PersonFactory

TOKEN = "4f0c9e2b7a61d58e3c2f"
NEW_TOKEN = "9a8b7c6d5e4f3a2b1c0d"
CHANGES = "/api/v1/audit/changes/"


class FormReader(HTMLParser):
    """What a browser would send back from the page's main form, unchanged: every named field's value."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self.select = self.textarea = self.first = None
        self.multiple = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            ticked = attrs.get("type") in ("checkbox", "radio")
            if not ticked or "checked" in attrs:
                self.data.setdefault(name, []).append(attrs.get("value", "on" if ticked else ""))
        elif tag == "select":
            self.select, self.multiple, self.first = name, "multiple" in attrs, None
            self.data.setdefault(name, [])
        elif tag == "option" and self.select:
            self.first = attrs.get("value", "") if self.first is None else self.first
            if "selected" in attrs:
                self.data[self.select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] = [self.data[self.textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            if not self.data[self.select] and not self.multiple and self.first is not None:
                self.data[self.select].append(self.first)  # a browser sends the first option
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False


def admin_form(client, url, form_id) -> dict:
    reader = FormReader(form_id)
    reader.feed(client.get(url).content.decode())
    return {name: values if len(values) > 1 else values[0] for name, values in reader.data.items() if values}


def change_in_admin(client, obj, **changes):
    """Save ``obj``'s admin page with ``changes`` made to what the page shows, as a browser would."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    saved(client.post(url, {**admin_form(client, url, f"{opts.model_name}_form"), **changes}))


def saved(answer):
    """The admin's answer to a saved form: back to the list (a form with errors is shown again instead)."""
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert "/login/" not in answer.headers["Location"]


def changes(client, **params) -> list[dict]:
    answer = client.get(CHANGES, params)
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


def latest(client, object_name, object_id) -> dict:
    return next(row for row in changes(client, object=object_name) if row["object_id"] == object_id)


@pytest.fixture
def administrator(org):
    """An administrator as the API and the admin make one: with the role, and staff of the admin."""
    return PersonFactory(
        department=org.office, roles=[Role.ADMIN], is_staff=True, is_superuser=True, display_name="系统管理员"
    )


@pytest.fixture
def auditor(org):
    return client_for(PersonFactory(department=org.office, roles=[Role.AUDITOR]))


def test_a_responsible_leader_changed_in_the_admin_is_listed_with_who_before_and_after(org, administrator, auditor):
    change_in_admin(browser_for(administrator), org.department, responsible_leader=org.mayor.pk)

    row = latest(auditor, "department", org.department.pk)
    assert (row["change"], row["actor"], row["actor_name"]) == ("updated", administrator.pk, "系统管理员")
    assert (row["before"], row["after"]) == (
        {"responsible_leader": org.deputy.pk},
        {"responsible_leader": org.mayor.pk},
    )
    assert row["object_name"] == org.department.name


def test_roles_changed_in_the_admin_are_recorded_as_the_persons_roles(org, administrator, auditor):
    auditor_group = Group.objects.get(name=Role.AUDITOR)
    change_in_admin(browser_for(administrator), org.leader, groups=[str(auditor_group.pk)])

    rows = [row for row in changes(auditor, object="person", actor=administrator.pk) if "roles" in row["after"]]
    assert [(row["before"]["roles"], row["after"]["roles"]) for row in rows] == [([], ["auditor"]), (["leader"], [])]
    assert all(row["object_id"] == org.leader.pk for row in rows)


def test_a_robot_token_changed_in_the_admin_is_recorded_masked(org, administrator, auditor):
    robot = Robot.objects.create(department=org.department, provider="dingtalk", token=TOKEN, secret="")
    admin = browser_for(administrator)
    change_in_admin(admin, robot, token=NEW_TOKEN)

    row = latest(auditor, "robot", robot.pk)
    assert (row["before"], row["after"]) == ({"token": f"••••{TOKEN[-4:]}"}, {"token": f"••••{NEW_TOKEN[-4:]}"})
    for answer in (auditor.get(CHANGES), admin.get("/audit/changes/"), admin.get(CHANGES)):
        assert TOKEN not in answer.content.decode()
        assert NEW_TOKEN not in answer.content.decode()


def test_a_ladder_steps_channels_and_offset_changed_in_the_admin_are_listed(org, administrator, auditor):
    policy = EscalationPolicy.objects.filter(government=None, severity="major").first()
    step = policy.steps.exclude(offset=None).order_by("pk").first()
    url = reverse("admin:notifications_escalationpolicy_change", args=[policy.pk])
    admin = browser_for(administrator)
    form = admin_form(admin, url, "escalationpolicy_form")
    index = next(key.split("-")[1] for key, value in form.items() if key.endswith("-id") and value == str(step.pk))
    saved(admin.post(url, {**form, f"steps-{index}-channels": ["in_app", "sms"], f"steps-{index}-offset": "提前2小时"}))

    row = latest(auditor, "escalationstep", step.pk)
    assert row["actor"] == administrator.pk
    assert (row["before"]["channels"], row["after"]["channels"]) == (step.channels, ["in_app", "sms"])
    assert (row["before"]["offset"], row["after"]["offset"]) == (int(step.offset.total_seconds()), -7200)  # seconds
    page = admin.get("/audit/changes/", {"object": "escalationstep"}).content.decode()
    assert "-2:00" in page
    assert "in_app、sms" in page


def test_departments_and_people_created_and_changed_through_the_api_are_listed(org, administrator, auditor):
    api = client_for(administrator)
    created = api.post(
        "/api/v1/departments/",
        {"name": "市应急管理局", "code": "emergency", "parent": org.government.pk},
        format="json",
    ).json()
    api.patch(f"/api/v1/departments/{created['id']}/", {"responsible_leader": org.deputy.pk}, format="json")
    person = api.post(
        "/api/v1/people/",
        {"username": "zhang", "password": "Jiangcheng-2026!", "department": created["id"], "roles": ["duty_officer"]},
        format="json",
    ).json()
    api.patch(f"/api/v1/people/{person['id']}/", {"phone": "13900000000", "roles": ["leader"]}, format="json")

    department_rows = changes(auditor, object="department", actor=administrator.pk)
    assert [(row["change"], row["object_id"]) for row in department_rows] == [
        ("updated", created["id"]),
        ("created", created["id"]),
    ]
    updated, new = department_rows
    assert (updated["before"], updated["after"]) == (
        {"responsible_leader": None},
        {"responsible_leader": org.deputy.pk},
    )
    assert new["before"] == {}
    wanted = {"name": "市应急管理局", "code": "emergency", "parent": org.government.pk, "is_government": False}
    assert {name: new["after"][name] for name in wanted} == wanted

    person_rows = changes(auditor, object="person", actor=administrator.pk)
    assert all(row["object_id"] == person["id"] for row in person_rows)
    changed = [(row["change"], row["before"], row["after"]) for row in person_rows]
    assert ("updated", {"phone": ""}, {"phone": "13900000000"}) in changed
    assert ("updated", {"roles": []}, {"roles": ["duty_officer"]}) in changed
    assert ("updated", {"roles": []}, {"roles": ["leader"]}) in changed
    created_person = next(after for change, before, after in changed if change == "created")
    assert (created_person["username"], created_person["department"]) == ("zhang", created["id"])
    assert not {"password", "last_login"} & set(created_person)


def test_a_password_change_records_no_hash(org, administrator, auditor):
    client_for(administrator).patch(
        f"/api/v1/people/{org.leader.pk}/", {"password": "Another-password-2026!"}, format="json"
    )

    answer = auditor.get(CHANGES, {"object": "person"}).content.decode()
    assert Person.objects.get(pk=org.leader.pk).password not in answer
    assert '"password"' not in answer


def test_a_deletion_keeps_what_was_deleted(org, administrator, auditor):
    now = timezone.now()
    shift = DutyShift.objects.create(
        department=org.department,
        person=org.duty_officer,
        post="duty_officer",
        starts_at=now,
        ends_at=now + timedelta(hours=8),
    )
    url = reverse("admin:notifications_dutyshift_delete", args=[shift.pk])
    saved(browser_for(administrator).post(url, {"post": "yes"}))

    row = latest(auditor, "dutyshift", shift.pk)
    assert (row["change"], row["after"], row["actor"]) == ("deleted", {}, administrator.pk)
    assert row["before"]["person"] == org.duty_officer.pk
    assert row["before"]["starts_at"] == timezone.localtime(now).isoformat()


def test_the_filters(org, administrator, auditor):
    before_it = timezone.now()
    api = client_for(administrator)
    api.patch(f"/api/v1/departments/{org.department.pk}/", {"name": "市交通局"}, format="json")

    assert {row["object"] for row in changes(auditor, object="department")} == {"department"}
    assert {row["actor"] for row in changes(auditor, actor=administrator.pk)} == {administrator.pk}
    assert changes(auditor, actor=org.mayor.pk) == []
    recent = changes(auditor, since=before_it.isoformat())
    assert [(row["object"], row["after"]) for row in recent] == [("department", {"name": "市交通局"})]
    assert changes(auditor, since=(timezone.localdate() + timedelta(days=1)).isoformat()) == []
    assert len(changes(auditor, since=timezone.localdate().isoformat())) > 1


def test_an_unknown_object_or_a_bad_time_is_a_400_in_chinese_or_english(org, auditor):
    refused = auditor.get(CHANGES, {"object": "incident"})
    assert refused.status_code == 400
    assert "“incident” 不是合法选项。" in refused.json()["object"][0]
    in_english = auditor.get(CHANGES, {"object": "incident"}, HTTP_ACCEPT_LANGUAGE="en")
    assert in_english.json()["object"] == ['"incident" is not a valid choice.']
    for since in ("yesterday", "0001-01-01T00:00:00"):
        assert auditor.get(CHANGES, {"since": since}).status_code == 400
    assert auditor.get(CHANGES, {"actor": "0"}).status_code == 400


@pytest.mark.parametrize("role", [Role.LEADER, Role.DUTY_OFFICER, Role.REVIEWER, Role.INTEGRATION])
def test_only_auditors_and_administrators_read_them(org, role):
    person = PersonFactory(department=org.department, roles=[role])
    assert client_for(person).get(CHANGES).status_code == 403
    assert browser_for(person).get("/audit/changes/").status_code == 403


def test_the_page_lists_them_in_chinese_with_before_and_after(org, administrator):
    change_in_admin(browser_for(administrator), org.department, responsible_leader=org.mayor.pk)
    auditor = PersonFactory(department=org.office, roles=[Role.AUDITOR])
    page = browser_for(auditor).get("/audit/changes/", {"object": "department"}).content.decode()

    assert f"<h1>{gettext('Configuration changes')}</h1>" in page  # 配置变更
    assert 'href="/audit/changes/"' in page  # in the top bar
    assert f"部门：{org.department.name}" in page
    assert "<td>系统管理员</td>" in page
    assert f"<td>{gettext('Changed')}</td>" in page  # 修改
    assert f"<td>{gettext('the system')}</td>" in page  # the fixture's own changes, made by no one signed in
    assert f"<td><div>分管领导：{org.deputy}（#{org.deputy.pk}）</div></td>" in page  # before
    assert f"<td><div>分管领导：{org.mayor}（#{org.mayor.pk}）</div></td>" in page  # after
    refused = browser_for(auditor).get("/audit/changes/", {"object": "incident"}).content.decode()
    [error] = re.findall(r'<ul class="errorlist"[^>]*><li>(.*?)</li>', refused)
    assert "incident" in error
    assert "有效" in error
    assert "<table" not in refused


def test_a_roster_import_and_a_calendar_load_are_listed_shift_by_shift_and_day_by_day(org, administrator, auditor):
    roster = "部门编码,用户名,岗位,开始时间,结束时间\n" + (
        f"{org.department.code},{org.duty_officer.username},值班员,2026-12-01 08:00,2026-12-01 20:00\n"
        f"{org.department.code},{org.leader.username},带班领导,2026-12-01 08:00,2026-12-02 08:00\n"
    )
    import_roster("值班表.csv", roster.encode("utf-8-sig"))
    loaded = client_for(administrator).put(
        "/api/v1/calendar/2032/", {"holidays": ["2032-01-01"], "workdays": ["2032-01-04"]}, format="json"
    )
    assert loaded.status_code == 200, loaded.content

    shifts = [row for row in changes(auditor, object="dutyshift") if row["change"] == "created"]
    assert len(shifts) == 2
    days = {row["after"]["date"] for row in changes(auditor, object="calendarday") if row["change"] == "created"}
    assert days == {"2032-01-01", "2032-01-04"}
