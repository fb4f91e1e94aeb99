"""The two forms of a bulletin, Word and PDF, rendered from one ``BulletinContent``."""

from collections.abc import Callable
from dataclasses import dataclass

from incidents.models import Department

from .content import BulletinContent, gather
from .numbering import government_of, is_follow_up, issue_year, next_number
from .pdf import render_pdf
from .word import render_docx


@dataclass(frozen=True)
class Format:
    extension: str
    content_type: str
    render: Callable[[BulletinContent], bytes]


FORMATS = {
    "docx": Format("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
    "pdf": Format("pdf", "application/pdf", render_pdf),
}


@dataclass(frozen=True)
class NextIssue:
    """What the next bulletin about an incident would be if sent now: its government's series, its year and
    number (not reserved: numbers are taken when sending), and whether it is a 续报."""

    government: Department | None
    year: int
    number: int
    follow_up: bool


def next_issue(incident, now) -> NextIssue:
    government, year = government_of(incident), issue_year(now)
    return NextIssue(government, year, next_number(government, year), is_follow_up(incident))


def preview(incident, now) -> BulletinContent:
    """The next bulletin about ``incident`` as it would be sent ``now`` (``next_issue``)."""
    issue = next_issue(incident, now)
    return gather(
        incident,
        number=issue.number,
        year=issue.year,
        follow_up=issue.follow_up,
        now=now,
        government=issue.government,
    )
