"""The duty roster: who is on duty when a step fires, where 7×24 coverage has gaps, and importing a
roster from CSV or XLSX (all rows or none)."""

import csv
import io
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from incidents.models import Department, Person
from incidents.services.calendar import BEIJING
from incidents.services.validation import Errors

from .models import DutyShift

# The headings of a roster file, in Chinese as people keep it, with English accepted too.
COLUMNS = {
    "department": ("部门编码", "department"),
    "username": ("用户名", "username"),
    "post": ("岗位", "post"),
    "starts_at": ("开始时间", "starts_at"),
    "ends_at": ("结束时间", "ends_at"),
}
POSTS = {"值班员": DutyShift.Post.DUTY_OFFICER, "带班领导": DutyShift.Post.SHIFT_LEADER}
LONGEST_SHIFT = timedelta(days=7)
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


def on_duty(department_id, post, at) -> list[Person]:
    shifts = DutyShift.objects.filter(department_id=department_id, post=post, starts_at__lte=at, ends_at__gt=at)
    return [
        shift.person for shift in shifts.select_related("person").order_by("starts_at", "pk") if shift.person.is_active
    ]


def coverage_gaps(department, start, end, post=DutyShift.Post.DUTY_OFFICER) -> list[tuple[datetime, datetime]]:
    """The stretches between ``start`` and ``end`` when nobody holds ``post`` for ``department``."""
    shifts = DutyShift.objects.filter(department=department, post=post, starts_at__lt=end, ends_at__gt=start)
    gaps, covered_until = [], start
    for shift in shifts.order_by("starts_at"):
        if shift.starts_at > covered_until:
            gaps.append((covered_until, shift.starts_at))
        covered_until = max(covered_until, shift.ends_at)
    if covered_until < end:
        gaps.append((covered_until, end))
    return gaps


def read_rows(name: str, content: bytes) -> list[list]:
    """The rows of a CSV (UTF-8, with or without BOM, or GB18030 as Excel in China saves it) or XLSX file."""
    if name.lower().endswith(".xlsx"):
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    if name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(content.decode(encoding))))
            except UnicodeDecodeError:
                continue
    raise ValueError(name)


def parse_time(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=BEIJING) if timezone.is_naive(value) else value
    text = str(value or "").strip()
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def import_roster(name: str, content: bytes) -> list[DutyShift]:
    """Every shift of the file, or none: a file with any bad row imports nothing and names each bad row."""
    errors = Errors()
    try:
        # Blank lines are skipped, but every row keeps its line number in the file for the errors.
        rows = [
            (number, row)
            for number, row in enumerate(read_rows(name, content), start=1)
            if any(cell not in (None, "") for cell in row)
        ]
    except Exception:  # a damaged spreadsheet raises anything from zipfile to XML errors
        errors.add("file", _("Upload a roster as a .csv or .xlsx file."))
        errors.raise_if_any()
    if not rows:
        errors.add("file", _("The file has no rows."))
        errors.raise_if_any()
    headings = [str(cell or "").strip() for cell in rows[0][1]]
    positions = {}
    for key, names in COLUMNS.items():
        found = [headings.index(heading) for heading in names if heading in headings]
        if found:
            positions[key] = found[0]
        else:
            errors.add("file", _("The column “%(heading)s” is missing.") % {"heading": names[0]})
    errors.raise_if_any()

    departments = {d.code: d for d in Department.objects.all()}
    people = {p.username: p for p in Person.objects.filter(is_active=True)}
    shifts = []
    for number, row in rows[1:]:
        cells = {key: (row[position] if position < len(row) else None) for key, position in positions.items()}
        shift, problems = shift_from(cells, departments, people)
        for problem in problems:
            errors.add("rows", _("Row %(number)d: %(problem)s") % {"number": number, "problem": problem})
        if shift is not None:
            shifts.append(shift)
    errors.raise_if_any()
    with transaction.atomic():
        return DutyShift.objects.bulk_create(shifts)


def shift_from(cells, departments, people) -> tuple[DutyShift | None, list[str]]:
    problems = []
    code, username = str(cells["department"] or "").strip(), str(cells["username"] or "").strip()
    post = POSTS.get(str(cells["post"] or "").strip(), str(cells["post"] or "").strip())
    starts_at, ends_at = parse_time(cells["starts_at"]), parse_time(cells["ends_at"])
    if code not in departments:
        problems.append(_("no department has the code “%(code)s”.") % {"code": code})
    if username not in people:
        problems.append(_("no active person has the username “%(username)s”.") % {"username": username})
    if post not in DutyShift.Post.values:
        problems.append(_("the post must be 值班员 or 带班领导."))
    if starts_at is None or ends_at is None:
        problems.append(_("times are written like 2026-12-01 08:00 (Beijing time)."))
    elif not starts_at < ends_at <= starts_at + LONGEST_SHIFT:
        problems.append(_("a shift ends after it starts, and lasts at most 7 days."))
    if problems:
        return None, problems
    return DutyShift(
        department=departments[code], person=people[username], post=post, starts_at=starts_at, ends_at=ends_at
    ), []
