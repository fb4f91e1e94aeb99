"""The bulletin as a PDF (reportlab's platypus): A4, the same parts and tables as the Word document, page
numbers at the foot.

The Chinese text is set in ``STSong-Light``, one of the CID fonts every PDF reader supports for Simplified
Chinese (Adobe-GB1): the PDF names it and the reader supplies the glyphs, so no font file is read or embedded
and nothing is fetched from outside. The font covers GBK; a character beyond it would be drawn as some other
glyph (a Korean syllable, an emoji's two halves as two wrong characters), so it is printed as 〓, the mark
Chinese typesetting has long used for a character missing from the type case.
"""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as Grid

from .content import BulletinContent, Section, Table
from .printing import without_controls

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
RED = colors.HexColor("#C00000")
MARGINS = {"topMargin": 3.2 * cm, "bottomMargin": 3 * cm, "leftMargin": 2.8 * cm, "rightMargin": 2.6 * cm}
TEXT_WIDTH = A4[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]


def style(name, size, **more) -> ParagraphStyle:
    """Every style breaks lines between any two characters (``CJK``), as Chinese text is set."""
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=size * 1.5, wordWrap="CJK", **more)


TITLE = style("title", 28, alignment=TA_CENTER, textColor=RED, spaceAfter=6)
ISSUE = style("issue", 14, alignment=TA_CENTER)
NOTE = style("note", 10, alignment=TA_CENTER, textColor=RED)
SUBJECT = style("subject", 16, alignment=TA_CENTER, spaceBefore=10, spaceAfter=6)
HEADING = style("heading", 14, spaceBefore=12, spaceAfter=6)
BODY = style("body", 11.5, firstLineIndent=23)
CELL = style("cell", 10)
SMALL = style("small", 10)


MISSING = "〓"
SUBSTITUTES = {"\u00b7": "\u30fb", "\u00a0": " "}  # the middle dot the font has, a plain space


def printable(value: str) -> str:
    """``value`` in characters the font shows: each one outside GBK as 〓."""
    return "".join(SUBSTITUTES.get(ch) or (ch if in_gbk(ch) else MISSING) for ch in without_controls(value))


def in_gbk(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def text(value: str, paragraph_style) -> Paragraph:
    """``value`` as typed: escaped, since a paragraph reads markup, with its line breaks kept."""
    return Paragraph(escape(printable(value)).replace("\n", "<br/>"), paragraph_style)


def grid(rows, widths, heading_row: bool) -> Grid:
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
    ]
    if heading_row:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F4F4F4")))
    # A row may split across pages (``splitInRow``): a cell longer than a page (a long summary) must still print.
    widths = [TEXT_WIDTH * share for share in widths]
    made = Grid(rows, colWidths=widths, repeatRows=1 if heading_row else 0, splitInRow=1)
    made.setStyle(TableStyle(commands))
    return made


def table_of(table: Table) -> list:
    if not table.rows:
        return [text(table.empty, BODY)]
    rows = [[text(value, CELL) for value in row] for row in (table.headings, *table.rows)]
    return [grid(rows, table.widths, heading_row=True)]


def section_of(section: Section) -> list:
    story = [text(section.heading, HEADING)]
    if section.facts:
        rows = [[text(label, CELL), text(value, CELL)] for label, value in section.facts]
        story.append(grid(rows, (0.22, 0.78), heading_row=False))
    if section.table is not None:
        story += table_of(section.table)
    story += [text(paragraph, BODY) for paragraph in section.paragraphs]
    return story


def masthead(content: BulletinContent) -> list:
    byline = Grid(
        [[text(content.government, SMALL), text(content.date, style("date", 10, alignment=TA_RIGHT))]],
        colWidths=[TEXT_WIDTH * 0.6, TEXT_WIDTH * 0.4],
    )
    byline.setStyle(TableStyle([("LEFTPADDING", (0, 0), (0, 0), 0), ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
    story = [text(content.title, TITLE), text(content.issue, ISSUE)]
    if content.preview_note:
        story.append(text(content.preview_note, NOTE))
    return [
        *story,
        Spacer(1, 6),
        byline,
        HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=2, spaceAfter=6),
        text(content.subject, SUBJECT),
        text(content.time_note, SMALL),
    ]


def page_number(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 10)
    canvas.drawCentredString(A4[0] / 2, 1.6 * cm, f"— {document.page} —")
    canvas.restoreState()


def render_pdf(content: BulletinContent) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{content.title} {content.issue}",
        author=content.government,
        subject=without_controls(content.subject),
        **MARGINS,
    )
    story = masthead(content)
    for section in content.sections:
        story += section_of(section)
    if content.recipients:
        story += [Spacer(1, 12), text(content.recipients, BODY)]
    document.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()
