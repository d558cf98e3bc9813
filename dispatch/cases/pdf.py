"""A document (文书) as PDF with a Chinese font embedded (fpdf2: no Qt, subsets the TrueType font it embeds).

The font is the system's: ``DISPATCH_CJK_FONT`` if set, else the first of the usual Debian paths
(fonts-wqy-microhei, fonts-noto-cjk, fonts-droid-fallback, fonts-arphic). None found is a clear Refused
naming the package to install: a document without its Chinese text is worse than none.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from dispatch.errors import Refused

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@functools.cache
def find_font() -> Path:
    explicit = os.environ.get("DISPATCH_CJK_FONT")
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise Refused(f"DISPATCH_CJK_FONT={explicit} is not a file", "no_cjk_font")
        return p
    for c in FONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    raise Refused("no Chinese font found for the documents: install one (apt-get install fonts-wqy-microhei, or "
                  "fonts-noto-cjk) or set DISPATCH_CJK_FONT to a TrueType/OpenType file with Chinese glyphs",
                  "no_cjk_font")


def render(bureau: str, title: str, number: str, sections: Sequence[tuple[str, str]], footer: str,
           issued: datetime, author: str) -> tuple[bytes, int]:
    """The PDF's bytes and its page count. Deterministic for the same input (creation date = `issued`)."""
    from fpdf import FPDF

    font = find_font()
    pdf = FPDF(format="A4")
    pdf.set_creation_date(issued)
    pdf.set_title(f"{title} {number}")
    pdf.set_author(author)
    pdf.set_subject(number)
    pdf.set_creator("liuzhou-console")
    kw = {"collection_font_number": 0} if font.suffix.lower() == ".ttc" else {}
    pdf.add_font("cjk", fname=str(font), **kw)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.cell(0, 10, bureau, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 13, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, number, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for label, text in sections:
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(width, 7, f"【{label}】", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        pdf.multi_cell(width, 6.5, text or "—", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pages = pdf.page_no()
    pdf.set_auto_page_break(False)  # the footers sit in the bottom margin: no page break for them
    for n in range(1, pages + 1):
        pdf.page = n
        pdf.set_y(-15)
        pdf.set_font("cjk", size=8)
        pdf.cell(0, 6, f"{footer}    第 {n} 页 共 {pages} 页", align="C")
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue(), pages
