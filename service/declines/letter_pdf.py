"""The decline as a one-page business letter in PDF, to print, sign and post.

Pure: the words come in laid out (`PrintedLetter`), the bytes go out. The typeface is
DejaVu Serif, shipped beside this module with its licence, so any name prints as written
(Zoë, Łukasz, Ñúñez) and the letter looks the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVuSerif"
# Tried in turn until the letter fits on one page (a long personal note).
SIZES = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
MARGIN = 25.0  # mm: room for a hole punch and a window envelope's fold


@dataclass(frozen=True)
class PrintedLetter:
    sender: tuple[str, ...]  # name, then email and phone
    recipient: tuple[str, ...]  # name, role, company
    date: str  # already in the contact's language
    subject: str
    greeting: str
    paragraphs: tuple[str, ...]
    sign_off: str
    signature: str  # the candidate's name, under the space to sign
    language: str
    title: str  # the PDF's own title, shown by viewers


def render_pdf(letter: PrintedLetter) -> bytes:
    """The letter at the largest type size that keeps it on one page."""
    for size in SIZES:
        pdf = _layout(letter, size)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output())


def _layout(letter: PrintedLetter, size: float) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN, 20.0, MARGIN)
    pdf.set_auto_page_break(True, margin=20.0)
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSerif.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSerif-Bold.ttf")
    pdf.set_title(letter.title)
    pdf.set_author(letter.signature)
    pdf.set_lang(letter.language)
    pdf.set_creator("decline service")
    pdf.add_page()
    line = size * 0.5  # mm per line: about 1.35 times the type size
    _block(pdf, letter.sender, size, line, bold_first=True)
    pdf.ln(line * 2.5)
    _block(pdf, letter.recipient, size, line)
    pdf.ln(line * 2)
    pdf.set_font(FAMILY, "", size)
    pdf.cell(0, line, letter.date, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(line * 1.5)
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(0, line, letter.subject, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(line)
    pdf.set_font(FAMILY, "", size)
    for text in (letter.greeting, *letter.paragraphs):
        pdf.multi_cell(0, line, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(line * 0.6)
    pdf.ln(line * 0.4)
    pdf.multi_cell(0, line, letter.sign_off, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(line * 3.5)  # room for the handwritten signature
    pdf.multi_cell(0, line, letter.signature, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def _block(
    pdf: FPDF, lines: tuple[str, ...], size: float, line: float, *, bold_first: bool = False
) -> None:
    for index, text in enumerate(lines):
        pdf.set_font(FAMILY, "B" if bold_first and index == 0 else "", size)
        pdf.multi_cell(0, line, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
