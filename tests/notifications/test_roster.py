"""The duty roster: who a step for "the duty officer" reaches, the gaps in 7×24 coverage, and imports."""

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from notifications.enforcement import enforce
from notifications.models import DutyShift, Notification
from notifications.roster import coverage_gaps, import_roster

from ..conftest import beijing
from ..factories import PersonFactory

HEADINGS = ["部门编码", "用户名", "岗位", "开始时间", "结束时间"]


def shift(org, person, starts_at, ends_at, post="duty_officer"):
    return DutyShift.objects.create(
        department=org.department, person=person, post=post, starts_at=starts_at, ends_at=ends_at
    )


def test_a_step_for_the_duty_officer_at_two_in_the_morning_reaches_the_night_shift(org, log):
    day_officer, night_officer = (PersonFactory(department=org.department) for _ in range(2))
    shift(org, day_officer, beijing(2026, 3, 10, 8), beijing(2026, 3, 10, 20))
    shift(org, night_officer, beijing(2026, 3, 10, 20), beijing(2026, 3, 11, 8))
    # Discovered at 01:00: the internal report's warning (half of two hours) falls at 02:00.
    internal_report = log(discovered_at=beijing(2026, 3, 11, 1)).obligations.get(kind="internal_report")

    with time_machine.travel(beijing(2026, 3, 11, 2), tick=False):
        enforce(beijing(2026, 3, 11, 2))

    warned = Notification.objects.filter(obligation=internal_report, step="warning", channel="in_app")
    assert [n.recipient for n in warned] == [night_officer]


def test_without_anyone_on_duty_the_departments_duty_officers_are_the_contacts(org, log):
    internal_report = log(discovered_at=beijing(2026, 3, 11, 1)).obligations.get(kind="internal_report")

    with time_machine.travel(beijing(2026, 3, 11, 2), tick=False):
        enforce(beijing(2026, 3, 11, 2))

    warned = Notification.objects.filter(obligation=internal_report, step="warning", channel="in_app")
    assert [n.recipient for n in warned] == [org.duty_officer]


def test_gaps_in_the_coverage_of_the_coming_days_are_listed(org):
    start = beijing(2026, 3, 10, 0)
    shift(org, org.duty_officer, beijing(2026, 3, 10, 0), beijing(2026, 3, 10, 12))
    shift(org, org.duty_officer, beijing(2026, 3, 10, 11), beijing(2026, 3, 10, 20))
    shift(org, org.duty_officer, beijing(2026, 3, 11, 8), beijing(2026, 3, 24, 0))
    shift(org, org.leader, beijing(2026, 3, 10, 20), beijing(2026, 3, 11, 8), post="shift_leader")

    gaps = coverage_gaps(org.department, start, start + timedelta(days=14))

    assert gaps == [(beijing(2026, 3, 10, 20), beijing(2026, 3, 11, 8))]


def roster_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADINGS, *rows])
    return out.getvalue().encode("utf-8-sig")


def test_a_roster_file_imports_every_shift(org):
    content = roster_csv(
        [
            [org.department.code, org.duty_officer.username, "值班员", "2026-12-01 08:00", "2026-12-01 20:00"],
            [org.department.code, org.leader.username, "带班领导", "2026-12-01 08:00", "2026-12-02 08:00"],
        ]
    )

    shifts = import_roster("值班表.csv", content)

    assert [(s.person, s.post, s.starts_at) for s in shifts] == [
        (org.duty_officer, "duty_officer", beijing(2026, 12, 1, 8)),
        (org.leader, "shift_leader", beijing(2026, 12, 1, 8)),
    ]


def test_a_roster_file_with_a_bad_row_imports_nothing_and_names_the_row(org):
    content = roster_csv(
        [
            [org.department.code, org.duty_officer.username, "值班员", "2026-12-01 08:00", "2026-12-01 20:00"],
            [org.department.code, "nobody", "值班员", "2026-12-01 20:00", "2026-12-01 08:00"],
        ]
    )

    with pytest.raises(ValidationError) as refused:
        import_roster("值班表.csv", content)

    assert refused.value.message_dict["rows"] == [
        "第 3 行：没有用户名为“nobody”的在岗人员。",
        "第 3 行：班次须晚于开始时间结束，且最长 7 天。",
    ]
    assert not DutyShift.objects.exists()


def test_a_roster_spreadsheet_imports_with_its_date_cells(org):
    book = Workbook()
    book.active.append(HEADINGS)
    book.active.append(
        [
            org.department.code,
            org.duty_officer.username,
            "值班员",
            beijing(2026, 12, 1, 8).replace(tzinfo=None),
            "2026-12-01 20:00",
        ]
    )
    content = io.BytesIO()
    book.save(content)

    [imported] = import_roster("roster.xlsx", content.getvalue())

    assert (imported.starts_at, imported.ends_at) == (beijing(2026, 12, 1, 8), beijing(2026, 12, 1, 20))


def test_a_file_that_is_not_a_roster_is_refused_clearly(org):
    with pytest.raises(ValidationError) as refused:
        import_roster("notes.txt", b"hello")

    assert refused.value.message_dict == {"file": ["请上传 .csv 或 .xlsx 格式的值班表。"]}


def test_administrators_import_a_roster_and_see_the_gaps_in_the_admin(admin_client, org):
    bad = roster_csv([[org.department.code, "nobody", "值班员", "2026-12-01 08:00", "2026-12-01 20:00"]])
    good = roster_csv(
        [[org.department.code, org.duty_officer.username, "值班员", "2026-12-01 08:00", "2026-12-08 08:00"]]
    )
    url = reverse("admin:notifications_dutyshift_import")

    refused = admin_client.post(url, {"file": SimpleUploadedFile("值班表.csv", bad)})
    imported = admin_client.post(url, {"file": SimpleUploadedFile("值班表.csv", good)})
    gaps = admin_client.get(reverse("admin:notifications_dutyshift_gaps"))

    assert refused.status_code == 200
    assert "第 2 行：没有用户名为“nobody”的在岗人员。" in refused.content.decode()
    assert imported.status_code == 302
    assert DutyShift.objects.count() == 1
    assert gaps.status_code == 200
    assert org.department.name in gaps.content.decode()


def test_errors_name_the_line_of_the_file_even_after_blank_lines(org):
    content = roster_csv([[], [], [org.department.code, "nobody", "值班员", "2026-12-01 08:00", "2026-12-01 20:00"]])

    with pytest.raises(ValidationError) as refused:
        import_roster("值班表.csv", content)

    assert refused.value.message_dict["rows"] == ["第 4 行：没有用户名为“nobody”的在岗人员。"]


def test_a_shift_that_ends_before_it_starts_is_refused_in_plain_words_in_the_admin(admin_client, org):
    response = admin_client.post(
        reverse("admin:notifications_dutyshift_add"),
        {
            "department": org.department.pk,
            "person": org.duty_officer.pk,
            "post": "duty_officer",
            "starts_at_0": "2026-12-01",
            "starts_at_1": "20:00:00",
            "ends_at_0": "2026-12-01",
            "ends_at_1": "08:00:00",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "班次须晚于开始时间结束，且最长 7 天。" in page
    assert "shift_ends_after_it_starts" not in page
    assert not DutyShift.objects.exists()


def test_the_import_page_lists_the_columns_with_examples(admin_client):
    page = admin_client.get(reverse("admin:notifications_dutyshift_import")).content.decode()

    for heading in HEADINGS:
        assert f"<td>{heading}</td>" in page
    assert "<td>2026-12-01 08:00</td>" in page
    assert "值班员 或 带班领导" in page


def test_importing_the_same_roster_twice_is_refused_naming_the_rows(admin_client, org):
    content = roster_csv(
        [
            [org.department.code, org.duty_officer.username, "值班员", "2026-12-01 08:00", "2026-12-01 20:00"],
            [org.department.code, org.leader.username, "带班领导", "2026-12-01 08:00", "2026-12-02 08:00"],
        ]
    )
    url = reverse("admin:notifications_dutyshift_import")

    first = admin_client.post(url, {"file": SimpleUploadedFile("值班表.csv", content)})
    again = admin_client.post(url, {"file": SimpleUploadedFile("值班表.csv", content)})

    assert first.status_code == 302
    assert again.status_code == 200
    page = again.content.decode()
    assert f"第 2 行：{org.duty_officer} 已有 2026-12-01 08:00 至 2026-12-01 20:00（北京时间）的值班员班次" in page
    assert f"第 3 行：{org.leader} 已有 2026-12-01 08:00 至 2026-12-02 08:00（北京时间）的带班领导班次" in page
    assert DutyShift.objects.count() == 2


def test_overlapping_rows_of_one_file_import_nothing(org):
    content = roster_csv(
        [
            [org.department.code, org.duty_officer.username, "值班员", "2026-12-01 08:00", "2026-12-01 20:00"],
            [org.department.code, org.deputy.username, "值班员", "2026-12-01 08:00", "2026-12-01 20:00"],
            [org.department.code, org.duty_officer.username, "值班员", "2026-12-01 19:00", "2026-12-02 08:00"],
            [org.department.code, org.duty_officer.username, "带班领导", "2026-12-01 19:00", "2026-12-02 08:00"],
        ]
    )

    with pytest.raises(ValidationError) as refused:
        import_roster("值班表.csv", content)

    assert refused.value.message_dict["rows"] == ["第 4 行：与第 2 行为同一人员、同一岗位，时间重叠。"]
    assert not DutyShift.objects.exists()


def test_the_gap_list_names_departments_without_a_roster(admin_client, org):
    with time_machine.travel(beijing(2026, 3, 10, 0), tick=False):
        shift(org, org.duty_officer, beijing(2026, 3, 10, 0), beijing(2026, 3, 11, 0))
        page = admin_client.get(reverse("admin:notifications_dutyshift_gaps")).content.decode()

    assert re.search(rf"<td>{org.office.name}</td>\s*<td>未建立值班表。</td>", page)
    assert "2026-03-11 00:00 – 2026-03-24 00:00" in page
