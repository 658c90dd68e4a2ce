"""Regenerate the PDF and DOCX sample documents in ``corpus/`` from ``corpus-src/``.

Each source is a UTF-8 text file in a small format:

* first line ``# Title``
* ``## Heading`` lines start a section
* a line ``---page---`` forces a new page (PDF only; ignored for DOCX)
* paragraphs are separated by blank lines; a paragraph whose lines all start
  with ``- `` is rendered as a bulleted list

The file ``corpus-src/<sub>/<name>.pdf.txt`` becomes ``corpus/<sub>/<name>.pdf`` and
``corpus-src/<sub>/<name>.docx.txt`` becomes ``corpus/<sub>/<name>.docx``.

The output is deterministic: fixed creation dates and metadata, and DOCX zip
members written with a fixed timestamp, so rebuilding an unchanged source gives
byte-identical files.

Usage: python scripts/build_corpus.py
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / "corpus-src"
OUT_DIR = ROOT / "corpus"

FIXED_DATE = dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
AUTHOR = "Sample corpus (generated)"
PAGE_BREAK = "---page---"


@dataclass
class Block:
    kind: str  # "heading", "para", "bullets", "page"
    text: str = ""
    items: list[str] = field(default_factory=list)


@dataclass
class Source:
    title: str
    blocks: list[Block]


def parse_source(path: Path) -> Source:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{path}: first line must be '# Title'")
    title = lines[0][2:].strip()
    blocks: list[Block] = []
    buf: list[str] = []

    def flush() -> None:
        if not buf:
            return
        if all(line.startswith("- ") for line in buf):
            blocks.append(Block("bullets", items=[line[2:].strip() for line in buf]))
        else:
            blocks.append(Block("para", text=" ".join(line.strip() for line in buf)))
        buf.clear()

    for raw in lines[1:]:
        line = raw.rstrip()
        if line.strip() == PAGE_BREAK:
            flush()
            blocks.append(Block("page"))
        elif line.startswith("## "):
            flush()
            blocks.append(Block("heading", text=line[3:].strip()))
        elif not line.strip():
            flush()
        else:
            buf.append(line)
    flush()
    return Source(title, blocks)


def check_latin1(path: Path, text: str) -> None:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{path}: text is not latin-1 safe: {exc}") from exc


# ---------------------------------------------------------------- PDF


class CorpusPDF(FPDF):
    def __init__(self, doc_title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = doc_title

    def footer(self) -> None:  # noqa: D401 - fpdf hook
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(100, 100, 100)
        self.cell(0, 10, f"{self.doc_title} - page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def build_pdf(src: Source, out: Path) -> int:
    pdf = CorpusPDF(src.title)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(src.title)
    pdf.set_author(AUTHOR)
    pdf.set_creator("scripts/build_corpus.py")
    pdf.set_producer("build_corpus (fpdf2)")
    pdf.set_subject("Sample programme document")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(0, 8, src.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for block in src.blocks:
        if block.kind == "page":
            pdf.add_page()
        elif block.kind == "heading":
            if pdf.get_y() > pdf.t_margin + 1:
                pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif block.kind == "para":
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 5.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        elif block.kind == "bullets":
            pdf.set_font("Helvetica", "", 11)
            for item in block.items:
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(0, 5.5, "- " + item, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            pdf.ln(1.5)
    pdf.output(str(out))
    return pdf.pages_count


# ---------------------------------------------------------------- DOCX


def build_docx(src: Source, out: Path) -> None:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    props = doc.core_properties
    props.title = src.title
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.subject = "Sample programme document"
    props.comments = "Generated by scripts/build_corpus.py"
    props.revision = 1
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_printed = FIXED_DATE.replace(tzinfo=None)

    doc.add_heading(src.title, level=1)
    for block in src.blocks:
        if block.kind == "heading":
            doc.add_heading(block.text, level=2)
        elif block.kind == "para":
            doc.add_paragraph(block.text)
        elif block.kind == "bullets":
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        # page markers are ignored for DOCX

    buf = io.BytesIO()
    doc.save(buf)
    out.write_bytes(normalise_zip(buf.getvalue()))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with sorted-as-written members and a fixed timestamp."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- main


def main() -> int:
    sources = sorted(SRC_DIR.rglob("*.txt"))
    if not sources:
        print(f"no sources found under {SRC_DIR}", file=sys.stderr)
        return 1
    for path in sources:
        rel = path.relative_to(SRC_DIR)
        name = rel.name[: -len(".txt")]
        if not (name.endswith(".pdf") or name.endswith(".docx")):
            print(f"skipping {rel}: name must end in .pdf.txt or .docx.txt", file=sys.stderr)
            continue
        out = OUT_DIR / rel.parent / name
        out.parent.mkdir(parents=True, exist_ok=True)
        src = parse_source(path)
        if name.endswith(".pdf"):
            check_latin1(path, path.read_text(encoding="utf-8"))
            pages = build_pdf(src, out)
            print(f"{out.relative_to(ROOT)}: {pages} pages")
        else:
            build_docx(src, out)
            print(f"{out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
