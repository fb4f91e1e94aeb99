"""Look-alike usernames are refused wherever people are created or renamed, naming the existing one."""

import pytest
from django.urls import reverse

from incidents.models import Person, Role
from incidents.services.usernames import look_alike, skeleton

from ..clients import client_for
from ..factories import PersonFactory

PASSWORD = "Jiangcheng-2026!"


@pytest.mark.parametrize(
    "typed",
    [
        "Boss",  # case
        "ＢＯＳＳ",  # full-width forms (NFKC)
        "bоss",  # Cyrillic о
        "ВОSS",  # Cyrillic В and О, upper case
        "ΒΟSS",  # Greek Beta and Omicron
        "ｂοѕѕ",  # all of it at once
    ],
)
def test_look_alikes_share_a_skeleton(typed):
    assert skeleton(typed) == skeleton("boss")
    assert look_alike(typed, ["chief", "boss"]) == "boss"


@pytest.mark.parametrize(("one", "other"), [("boss", "bass"), ("张伟", "张玮"), ("duty1", "duty2"), ("wang", "wаng2")])
def test_different_names_stay_different(one, other):
    assert look_alike(one, [other]) is None


@pytest.fixture
def boss(org):
    return PersonFactory(username="boss", department=org.office)


@pytest.fixture
def admin(org):
    return client_for(PersonFactory(department=org.office, roles=[Role.ADMIN]), language="en")


@pytest.mark.parametrize("typed", ["Boss", "bоss", "ΒΟSS"])
def test_the_api_refuses_a_look_alike_and_names_the_existing_person(admin, org, boss, typed):
    body = {"username": typed, "password": PASSWORD, "department": org.department.pk, "roles": ["leader"]}
    response = admin.post("/api/v1/people/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["This username looks like the existing username “boss”; choose another."]}
    assert Person.objects.count() == Person.objects.exclude(username=typed).count()


def test_the_api_refuses_renaming_someone_to_a_look_alike(admin, org, boss):
    response = admin.patch(f"/api/v1/people/{org.leader.pk}/", {"username": "BOSS"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["username"]


def test_people_who_already_look_alike_can_still_be_edited(admin, org, boss):
    twin = PersonFactory(username="Boss", department=org.office)  # from before the rule
    kept = admin.patch(f"/api/v1/people/{twin.pk}/", {"username": "Boss", "phone": "13900000000"}, format="json")
    assert kept.status_code == 200, kept.json()


def test_the_api_still_takes_a_new_name_and_normalises_it(admin, org, boss):
    body = {"username": "ｄｕｔｙ", "password": PASSWORD, "department": org.department.pk}
    response = admin.post("/api/v1/people/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "duty"


def admin_add(client, org, username):
    return client.post(
        reverse("admin:incidents_person_add"),
        {
            "username": username,
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "冒名者",
            "department": org.department.pk,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize("typed", ["bоss", "ΒΟSS"])
def test_the_admin_refuses_a_look_alike_on_the_username_field(admin_client, org, boss, typed):
    page = admin_add(admin_client, org, typed)
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["username"] == [
        "This username looks like the existing username “boss”; choose another."
    ]
    assert not Person.objects.filter(display_name="冒名者").exists()


def test_the_admin_refuses_a_name_that_differs_only_in_case_or_width(admin_client, org, boss):
    """Django's own form compares names ignoring case (after NFKC) first, in its own words."""
    for typed in ("BOSS", "ＢＯＳＳ"):
        page = admin_add(admin_client, org, typed)
        assert page.status_code == 200
        assert page.context["adminform"].form.errors["username"] == ["A user with that username already exists."]
    assert not Person.objects.filter(display_name="冒名者").exists()


def test_the_admin_refuses_renaming_to_a_look_alike(admin_client, org, boss):
    form = admin_client.get(reverse("admin:incidents_person_change", args=[org.leader.pk])).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update({"username": "Bоss", "groups": [g.pk for g in org.leader.groups.all()], "user_permissions": []})
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "08:00:00"
    page = admin_client.post(reverse("admin:incidents_person_change", args=[org.leader.pk]), data)
    assert page.status_code == 200
    assert page.context["adminform"].form.errors == {"username": ["该用户名与已有用户名“boss”过于相似，请另选一个。"]}
    org.leader.refresh_from_db()
    assert org.leader.username != "Bоss"


def test_the_admin_still_adds_people(admin_client, org, boss):
    assert admin_add(admin_client, org, "deputy-boss").status_code == 302
    assert Person.objects.filter(username="deputy-boss").exists()
