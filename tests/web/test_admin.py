"""The admin: in Chinese by default, every model usable, incidents logged through the same services."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from incidents.models import CalendarYear, Incident
from incidents.services.actions import record_action
from notifications.enforcement import enforce
from notifications.models import EscalationPolicy
from notifications.steps import step_label

from ..conftest import beijing


def registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in {"incidents", "notifications"}]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m.__name__)
def test_every_model_has_a_working_list_and_form(admin_client, log, model):
    log(discovered_at=timezone.now())
    opts = model._meta

    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    first = model.objects.first()
    if first is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
        assert admin_client.get(url).status_code == 200


def test_the_admin_speaks_chinese_by_default_and_english_on_request(admin_client):
    url = reverse("admin:incidents_incident_changelist")

    assert "舆情事件" in admin_client.get(url).content.decode()
    assert "incident" in admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def add_incident(admin_client, org, **fields):
    now = timezone.localtime()
    data = {
        "title": "网传公交停运",
        "severity": "major",
        "department": org.department.pk,
        "discovered_at_0": now.strftime("%Y-%m-%d"),
        "discovered_at_1": now.strftime("%H:%M:%S"),
        **fields,
    }
    return admin_client.post(reverse("admin:incidents_incident_add"), data)


def test_an_incident_added_in_the_admin_gets_its_obligations_and_timeline(admin_client, org):
    response = add_incident(admin_client, org)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.obligations.count() == 4
    assert incident.timeline.filter(kind="logged").exists()


def test_bad_input_in_the_admin_shows_field_errors_and_keeps_what_was_typed(admin_client, org):
    response = add_incident(admin_client, org, discovered_at_0="2099-01-01", discovered_at_1="10:00:00")

    assert response.status_code == 200
    page = response.content.decode()
    assert "该时间晚于当前时间" in page
    assert "网传公交停运" in page
    assert not Incident.objects.exists()


def test_a_statement_without_evidence_is_refused_in_the_admin(admin_client, org):
    add_incident(admin_client, org)
    incident = Incident.objects.get()
    now = timezone.localtime()

    response = admin_client.post(
        reverse("admin:incidents_action_add"),
        {
            "incident": incident.pk,
            "kind": "statement",
            "published_at_0": now.strftime("%Y-%m-%d"),
            "published_at_1": now.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200
    assert "公开回应须提供佐证" in response.content.decode()
    assert not incident.actions.exists()


def test_regrade_close_and_waive_from_the_admin(admin_client, org, log):
    incident = log(severity="general", discovered_at=timezone.now())
    base = f"/admin/incidents/incident/{incident.pk}"

    page = admin_client.post(f"{base}/regrade/", {"severity": "general", "reason": "复核"})
    assert "事件已是该级别" in page.content.decode()

    assert admin_client.post(f"{base}/regrade/", {"severity": "major", "reason": "事态升级"}).status_code == 302
    assert incident.timeline.filter(kind="regraded").exists()

    page = admin_client.post(f"{base}/close/", {"reason": "平息"})
    assert "尚未完成" in page.content.decode()

    for obligation in incident.obligations.filter(state__in=["pending", "overdue"]):
        url = f"/admin/incidents/obligation/{obligation.pk}/waive/"
        assert admin_client.post(url, {"reason": "与另一事件合并"}).status_code == 302
    assert admin_client.post(f"{base}/close/", {"reason": "平息"}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == "closed"


def test_editing_details_in_the_admin_keeps_the_old_text_on_the_timeline(admin_client, org, log):
    incident = log(discovered_at=timezone.now(), title="旧标题")
    url = reverse("admin:incidents_incident_change", args=[incident.pk])

    response = admin_client.post(
        url, {"title": "新标题", "summary": "", "source_platform": "", "source_url": ""} | inline_management_data()
    )

    assert response.status_code == 302
    event = incident.timeline.get(kind="edited")
    assert (event.detail["before"], event.detail["after"]) == ({"title": "旧标题"}, {"title": "新标题"})


def inline_management_data():
    data = {}
    for prefix in ["obligations", "actions", "timeline"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def test_a_calendar_year_without_holidays_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:incidents_calendaryear_add"),
        {"year": "2027", "source": "admin", "note": "", "days-TOTAL_FORMS": "0", "days-INITIAL_FORMS": "0"},
    )

    assert response.status_code == 200
    assert not CalendarYear.objects.filter(year=2027).exists()


def escalation_policy_form(org, **step):
    data = {
        "government": org.government.pk,
        "severity": "general",
        "repeat_every": "2:00:00",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "steps-0-code": "overdue_l1",
        "steps-0-audiences": ["principal_leader", "responsible_leader"],
        "steps-0-channels": ["in_app", "email"],
    }
    data.update({f"steps-0-{name}": value for name, value in step.items()})
    return data


def test_a_government_sets_its_own_escalation_ladder_in_the_admin(admin_client, org):
    url = reverse("admin:notifications_escalationpolicy_add")

    refused = admin_client.post(url, escalation_policy_form(org, offset="0", window_fraction="0.5"))
    saved = admin_client.post(url, escalation_policy_form(org, offset="0"))

    assert refused.status_code == 200
    assert "请填写相对时限的时间或时限窗口占比，二者只填其一。" in refused.content.decode()
    assert saved.status_code == 302
    [step] = EscalationPolicy.objects.get(government=org.government).steps.all()
    assert (step.code, step.audiences, step.channels) == (
        "overdue_l1",
        ["principal_leader", "responsible_leader"],
        ["in_app", "email"],
    )


def test_evidence_is_linked_through_the_api_and_not_served_from_media(admin_client, org, log, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    discovered = beijing(2026, 3, 1, 9, 0)
    incident = log(discovered_at=discovered)
    action = record_action(
        incident,
        kind="statement",
        published_at=discovered,
        evidence_file=SimpleUploadedFile("通报.pdf", b"%PDF-1.4\n"),
        now=discovered,
    )
    page = admin_client.get(f"/admin/incidents/action/{action.pk}/change/").content.decode()
    assert f"/api/v1/actions/{action.pk}/evidence/" in page
    assert admin_client.get(f"/api/v1/actions/{action.pk}/evidence/").status_code == 200
    assert admin_client.get(f"/media/{action.evidence_file.name}").status_code == 404


def test_ladder_offsets_show_as_signed_hours_and_minutes(admin_client, org):
    national = EscalationPolicy.objects.filter(government=None, steps__offset__lt=timedelta(0)).first()

    page = admin_client.get(reverse("admin:notifications_escalationpolicy_change", args=[national.pk])).content.decode()

    assert 'value="-1:00"' in page
    assert "-1 23:00:00" not in page
    assert "提前1小时、之后2小时" in page  # the help says what may be typed


@pytest.mark.parametrize(
    ("typed", "offset"),
    [
        ("提前1小时", timedelta(hours=-1)),
        ("-0:30", timedelta(minutes=-30)),
        ("1小时30分", timedelta(hours=1, minutes=30)),
    ],
)
def test_ladder_offsets_are_taken_as_people_write_them(admin_client, org, typed, offset):
    url = reverse("admin:notifications_escalationpolicy_add")

    response = admin_client.post(url, escalation_policy_form(org, offset=typed))

    assert response.status_code == 302
    [step] = EscalationPolicy.objects.get(government=org.government).steps.all()
    assert step.offset == offset


def test_a_duration_that_is_not_one_is_refused_in_chinese(admin_client, org):
    url = reverse("admin:notifications_escalationpolicy_add")

    response = admin_client.post(url, escalation_policy_form(org, offset="一会儿"))

    assert response.status_code == 200
    assert "无法识别该时长，请写作 -1:00 或 +2:30" in response.content.decode()
    assert not EscalationPolicy.objects.filter(government=org.government).exists()


def test_the_timeline_reads_in_beijing_time_and_words_not_json(admin_client, org, log):
    incident = log(discovered_at=beijing(2026, 3, 1, 9, 0))
    with time_machine.travel(beijing(2026, 3, 1, 12, 0), tick=False):
        enforce(beijing(2026, 3, 1, 12, 0))
    escalated = incident.timeline.filter(kind="escalated").first()

    page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()

    assert "时间（北京时间）" in page
    assert "2026-03-01 09:00" in page
    assert "2026-03-01 01:00" not in page  # the UTC time of the same moment
    assert "办理事项：内部报告" in page
    assert "截止时间：2026-03-01 11:00" in page
    assert f"接收人：{escalated.detail['recipients'][0]['name']}" in page
    assert "&quot;due_at&quot;" not in page
    assert f"{step_label(escalated.detail['step'])}" in page
    assert escalated.detail["step"] not in page  # the step's code


def test_a_view_only_page_closes_with_close_and_an_incident_still_closes_with_banjie(admin_client, log):
    incident = log(discovered_at=timezone.now())
    obligation = incident.obligations.first()

    view_only = admin_client.get(reverse("admin:incidents_obligation_change", args=[obligation.pk])).content.decode()
    incident_page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()

    assert 'class="closelink">关闭</a>' in view_only
    assert f'<a href="/admin/incidents/incident/{incident.pk}/close/">办结</a>' in incident_page


def test_the_admin_is_headed_with_the_products_name(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "政务舆情回应督办系统 · 系统管理" in page
    assert "Django" not in page
