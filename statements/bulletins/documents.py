"""The two forms of a bulletin, Word and PDF, rendered from one ``BulletinContent``."""

from collections.abc import Callable
from dataclasses import dataclass

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


def preview(incident, now) -> BulletinContent:
    """The next bulletin about ``incident`` as it would be sent ``now``, with the number it would get if
    nothing else were sent first (not reserved: numbers are taken when sending)."""
    government, year = government_of(incident), issue_year(now)
    return gather(
        incident,
        number=next_number(government, year),
        year=year,
        follow_up=is_follow_up(incident),
        now=now,
        government=government,
    )
