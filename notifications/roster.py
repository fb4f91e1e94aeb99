"""The duty roster: who is on duty when a step fires, where 7×24 coverage has gaps, and importing a
roster from CSV or XLSX (all rows or none)."""

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from incidents.models import Department, Person
from opinion_tracker.lib.beijing import BEIJING
from opinion_tracker.lib.validation import Errors

from .models import DutyShift

# The headings of a roster file, in Chinese as people keep it, with English accepted too.
COLUMNS = {
    "department": ("部门编码", "department"),
    "username": ("用户名", "username"),
    "post": ("岗位", "post"),
    "starts_at": ("开始时间", "starts_at"),
    "ends_at": ("结束时间", "ends_at"),
}
# What the import page says of each column, with a cell as it would be written.
COLUMN_HELP = {
    "department": (gettext_lazy("the department's code, as in the admin's list of departments"), "jc-transport"),
    "username": (gettext_lazy("the person's username"), "transport_duty"),
    "post": (gettext_lazy("值班员 (duty officer) or 带班领导 (leader on duty)"), "值班员"),
    "starts_at": (gettext_lazy("when the shift starts, Beijing time"), "2026-12-01 08:00"),
    "ends_at": (gettext_lazy("when it ends, Beijing time, at most 7 days later"), "2026-12-01 20:00"),
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
    return gaps_between(shifts_within(start, end, post).filter(department=department), start, end)


class Coverage(NamedTuple):
    department: Department
    has_roster: bool  # any shift at all, at any time and post
    gaps: list[tuple[datetime, datetime]]


def coverage(start, end, post=DutyShift.Post.DUTY_OFFICER) -> list[Coverage]:
    """Every department's gaps, in one query of shifts: a department that keeps no roster is the widest gap
    of all, so it is listed as such rather than left out."""
    by_department = defaultdict(list)
    for shift in shifts_within(start, end, post):
        by_department[shift.department_id].append(shift)
    rostered = set(DutyShift.objects.order_by().values_list("department_id", flat=True).distinct())
    return [
        Coverage(department, department.pk in rostered, gaps_between(by_department[department.pk], start, end))
        for department in Department.objects.all()
    ]


def shifts_within(start, end, post):
    return DutyShift.objects.filter(post=post, starts_at__lt=end, ends_at__gt=start).order_by("starts_at")


def gaps_between(shifts, start, end) -> list[tuple[datetime, datetime]]:
    """The stretches of ``start``–``end`` none of ``shifts`` (in order of their start) covers."""
    gaps, covered_until = [], start
    for shift in shifts:
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
    numbered = []
    for number, row in rows[1:]:
        cells = {key: (row[position] if position < len(row) else None) for key, position in positions.items()}
        shift, problems = shift_from(cells, departments, people)
        for problem in problems:
            errors.add("rows", row_problem(number, problem))
        if shift is not None:
            numbered.append((number, shift))
    errors.raise_if_any()
    with transaction.atomic():
        for problem in overlaps(numbered):
            errors.add("rows", problem)
        errors.raise_if_any()
        shifts = [shift for number, shift in numbered]
        for shift in shifts:  # one by one, not in bulk: each shift is a configuration change the audit records
            shift.save()
        return shifts


def row_problem(number, problem) -> str:
    return _("Row %(number)d: %(problem)s") % {"number": number, "problem": problem}


def overlaps(numbered: list[tuple[int, DutyShift]]) -> list[str]:
    """Rows that put a person on the same post twice at once, with another row of the file or with a shift
    already stored (as importing the same roster twice would), in the order of the file."""
    stored = stored_shifts(numbered)
    problems, earlier = [], defaultdict(list)
    for number, shift in numbered:
        key = shift.person_id, shift.post
        problems.extend(row_problem(number, same_time_as_row(n)) for n, other in earlier[key] if overlap(shift, other))
        problems.extend(row_problem(number, already_on_duty(other)) for other in stored[key] if overlap(shift, other))
        earlier[key].append((number, shift))
    return problems


def stored_shifts(numbered) -> dict[tuple, list[DutyShift]]:
    """The stored shifts of the file's people over the file's span, by person and post. The people's rows
    are locked first, so two imports of the same roster at once cannot both pass."""
    stored = defaultdict(list)
    if not numbered:
        return stored
    people = {shift.person_id for _number, shift in numbered}
    list(Person.objects.select_for_update().filter(pk__in=people))
    start = min(shift.starts_at for _number, shift in numbered)
    end = max(shift.ends_at for _number, shift in numbered)
    existing = DutyShift.objects.filter(person__in=people, starts_at__lt=end, ends_at__gt=start)
    for shift in existing.select_related("person"):
        stored[shift.person_id, shift.post].append(shift)
    return stored


def overlap(shift, other) -> bool:
    return shift.starts_at < other.ends_at and other.starts_at < shift.ends_at


def same_time_as_row(number) -> str:
    return _("the same person holds the same post at the same time in row %(number)d.") % {"number": number}


def already_on_duty(shift) -> str:
    return _("%(person)s is already on duty as %(post)s from %(start)s to %(end)s (Beijing time).") % {
        "person": shift.person,
        "post": shift.get_post_display(),
        "start": timezone.localtime(shift.starts_at, BEIJING).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(shift.ends_at, BEIJING).strftime("%Y-%m-%d %H:%M"),
    }


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
    elif problem := shift_length_problem(starts_at, ends_at):
        problems.append(problem)
    if problems:
        return None, problems
    return DutyShift(
        department=departments[code], person=people[username], post=post, starts_at=starts_at, ends_at=ends_at
    ), []


def shift_length_problem(starts_at, ends_at) -> str | None:
    """Why a shift's times are refused, in the words both the import and the admin's form show."""
    if not starts_at < ends_at <= starts_at + LONGEST_SHIFT:
        return _("a shift ends after it starts, and lasts at most 7 days.")
    return None
