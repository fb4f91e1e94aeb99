"""The bulletin as a Word document (python-docx): A4 with the margins of a government document (GB/T 9704),
the title in red, headings in 黑体, text in 宋体, tables for the deadlines and the actions, page numbers.

Chinese text needs its font named as East Asian (``w:eastAsia``): Word picks the font of each character by
its script, and a font named only for Latin text leaves Chinese to whatever the reader's Word defaults to.
"""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from .content import BulletinContent, Section, Table
from .printing import without_controls

LATIN = "Times New Roman"
SONG, HEI = "宋体", "黑体"
RED = RGBColor(0xC0, 0x00, 0x00)
A4 = (Cm(21.0), Cm(29.7))
MARGINS = {"top": Cm(3.7), "bottom": Cm(3.5), "left": Cm(2.8), "right": Cm(2.6)}
TEXT_WIDTH = A4[0] - MARGINS["left"] - MARGINS["right"]


def set_fonts(element, east_asian: str) -> None:
    """Name the Latin and the East Asian font of a style or run (``element``: its XML), dropping the theme
    fonts a style may carry, which would win over the names."""
    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), east_asian)


def add_text(paragraph, text: str, *, font=SONG, size=None, color=None):
    run = paragraph.add_run(without_controls(text))
    set_fonts(run._element, font)
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = color
    return run


def prepare(document) -> None:
    """A4, the margins, Chinese text in 宋体 and headings in 黑体 (black, not the template's blue)."""
    section = document.sections[0]
    section.page_width, section.page_height = A4
    for side, width in MARGINS.items():
        setattr(section, f"{side}_margin", width)
    normal = document.styles["Normal"]
    set_fonts(normal.element, SONG)
    normal.font.size = Pt(12)
    language = OxmlElement("w:lang")
    language.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(language)
    heading = document.styles["Heading 1"]
    set_fonts(heading.element, HEI)
    heading.font.size, heading.font.bold, heading.font.color.rgb = Pt(15), False, RGBColor(0, 0, 0)
    page_numbers(section)


def page_numbers(section) -> None:
    """— 1 — centred at the foot of every page (a PAGE field, which Word and LibreOffice fill in)."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(paragraph, "— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field)
    add_text(paragraph, " —")


def masthead(document, content: BulletinContent) -> None:
    """The title in red, the issue, then the government and the date above a red rule."""
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(title, content.title, font=HEI, size=26, color=RED)
    issue = document.add_paragraph()
    issue.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(issue, content.issue, size=14)
    if content.preview_note:
        note = document.add_paragraph()
        note.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_text(note, content.preview_note, size=10, color=RED)
    byline = document.add_paragraph()
    byline.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)  # the date at the right edge
    add_text(byline, f"{content.government}\t{content.date}", size=12)
    red_rule(byline)
    subject = document.add_paragraph()
    subject.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_text(subject, content.subject, font=HEI, size=16)
    add_text(document.add_paragraph(), content.time_note, size=10)


def red_rule(paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in {"w:val": "single", "w:sz": "12", "w:space": "4", "w:color": "C00000"}.items():
        bottom.set(qn(name), value)
    borders.append(bottom)
    # before the properties the schema orders after it (Word refuses a file with them out of order)
    successors = ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr")
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *successors)


def table_of(document, table: Table) -> None:
    if not table.rows:
        add_text(document.add_paragraph(), table.empty)
        return
    grid = document.add_table(rows=1, cols=len(table.headings))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = grid.rows[0]
    repeat_as_header(header)
    for cell, heading in zip(header.cells, table.headings, strict=True):
        add_text(cell.paragraphs[0], heading, font=HEI, size=10.5)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            add_text(cell.paragraphs[0], value, size=10.5)
    for column, share in zip(grid.columns, table.widths, strict=True):
        for cell in column.cells:
            cell.width = int(TEXT_WIDTH * share)


def repeat_as_header(row) -> None:
    """The heading row is repeated at the top of every page the table runs onto."""
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def facts_of(document, facts) -> None:
    grid = document.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    for label, value in facts:
        cells = grid.add_row().cells
        add_text(cells[0].paragraphs[0], label, font=HEI, size=10.5)
        add_text(cells[1].paragraphs[0], value, size=10.5)
        cells[0].width, cells[1].width = int(TEXT_WIDTH * 0.22), int(TEXT_WIDTH * 0.78)


def section_of(document, section: Section) -> None:
    document.add_heading(section.heading, level=1)
    if section.facts:
        facts_of(document, section.facts)
    if section.table is not None:
        table_of(document, section.table)
    for text in section.paragraphs:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        add_text(paragraph, text)


def render_docx(content: BulletinContent) -> bytes:
    document = Document()
    prepare(document)
    properties = document.core_properties
    properties.title, properties.author = f"{content.title} {content.issue}", content.government
    properties.subject = without_controls(content.subject)
    masthead(document, content)
    for section in content.sections:
        section_of(document, section)
    if content.recipients:
        add_text(document.add_paragraph(), content.recipients)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
