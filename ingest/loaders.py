"""One loader per format: a file in, a list of text blocks (page or section) out.

Every failure is a :class:`LoadError` with a reason a person can act on; the
pipeline reports it and moves on to the next file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from assistant.text import ITEM_START
from assistant.types import Block

# Bump when loading or cleaning changes what text a file yields: every document is then
# re-read on the next sync (unchanged chunks still come from the embedding cache).
PARSER_VERSION = 4

SUPPORTED = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
MAX_DOCX_UNPACKED = 200 * 1024 * 1024  # a DOCX that inflates past this is treated as a zip bomb


class LoadError(Exception):
    """A file that cannot be indexed, with the reason."""


# a line break before a list item or a table row (spaces are already squeezed to one when it applies)
_ITEM_BREAK = re.compile(rf"[ \t]*\n[ \t]*(?={ITEM_START})")


def clean_text(text: str) -> str:
    """Join hyphenated line breaks and wrapped lines; keep paragraph breaks, and the line breaks
    before list items and table rows (so an answer can quote one item, not the whole list);
    squeeze spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for para in paragraphs:
        para = re.sub(r"[ \t\f\v]+", " ", para)
        para = _ITEM_BREAK.sub("\x01", para)
        para = re.sub(r"\s*\n\s*", " ", para).replace("\x01", "\n").strip()
        if para:
            out.append(para)
    return "\n\n".join(out)


def _heading_like(line: str) -> bool:
    line = line.strip()
    return 2 < len(line) < 80 and not line.endswith((".", ",", ";", ":")) and line[0].isupper() and len(line.split()) <= 10


def load_pdf(path: Path) -> list[Block]:
    import pypdf

    # pypdf's default of 100,000 elements per array refuses real filings (the 10-Q PDFs of Microsoft have
    # larger ones); a higher bound still protects against hostile files
    with pypdf.apply_configuration(array_maximum_element_count=5_000_000, dictionary_maximum_element_count=1_000_000):
        return _load_pdf(path)


def _load_pdf(path: Path) -> list[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    from ingest.tables import pdf_page_rows

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise LoadError("encrypted PDF (a password is required to read it)")
        pages = list(reader.pages)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise LoadError(f"corrupt or unreadable PDF ({type(exc).__name__})") from exc
    if not pages:
        raise LoadError("PDF has no pages")
    page_lines: list[list[str]] = []
    for number, page in enumerate(pages, start=1):  # (pages were read under _PDF_LIMITS, see below)
        try:
            raw = page.extract_text() or ""
        except Exception as exc:
            raise LoadError(f"cannot extract text from page {number} ({type(exc).__name__})") from exc
        page_lines.append([ln for ln in raw.splitlines() if ln.strip()])
    repeated = _running_lines(page_lines)
    blocks: list[Block] = []
    section = ""
    for number, lines in enumerate(page_lines, start=1):
        lines = pdf_page_rows([ln for ln in lines if _shape(ln) not in repeated])
        for line in lines[:3]:
            if _heading_like(line):
                section = line.strip()
                break
        text = clean_text("\n\n".join(_paragraphs_from_lines(lines)))
        if text:
            blocks.append(Block(text=text, page=number, section=section))
    if not blocks:
        raise LoadError(f"no text layer in {len(pages)} page(s) (a scanned PDF needs OCR first)")
    return blocks


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _running_lines(page_lines: list[list[str]]) -> set[str]:
    """Headers and footers: lines (digits ignored) that recur at the top or bottom of most pages."""
    if len(page_lines) < 2:
        return set()
    counts: dict[str, int] = {}
    for lines in page_lines:
        for shape in {_shape(ln) for ln in lines[:2] + lines[-2:]}:
            counts[shape] = counts.get(shape, 0) + 1
    need = max(2, int(0.6 * len(page_lines) + 0.5))
    return {shape for shape, n in counts.items() if n >= need}


def _paragraphs_from_lines(lines: list[str]) -> list[str]:
    """Group extracted PDF lines into paragraphs: a heading-like line stands alone."""
    from ingest.tables import TABLE_ROW

    paras: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.startswith(TABLE_ROW):  # a table row, already a sentence of its own
            if current:
                paras.append(" ".join(current))
                current = []
            paras.append(line[1:])
            continue
        if _heading_like(line) and (
            not current or current[-1].rstrip().endswith((".", ":", "?", "!")) or len(current[-1]) < 40
        ):
            if current:
                paras.append(" ".join(current))
                current = []
            paras.append(line.strip())
        else:
            current.append(line.strip())
    if current:
        paras.append(" ".join(current))
    return paras


def load_docx(path: Path) -> list[Block]:
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
            if unpacked > MAX_DOCX_UNPACKED:
                raise LoadError(f"DOCX inflates to {unpacked // 2**20} MB (suspected zip bomb)")
            if "word/document.xml" not in zf.namelist():
                raise LoadError("not a Word document (no word/document.xml inside)")
    except zipfile.BadZipFile as exc:
        raise LoadError("corrupt DOCX (not a valid zip archive)") from exc
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise LoadError(f"corrupt DOCX ({type(exc).__name__})") from exc
    # Style names from one table: python-docx's ``paragraph.style`` scans every style of the document
    # for each paragraph (about a millisecond each), so a small DOCX of a million tiny paragraphs
    # kept a CPU busy for many minutes while holding the index lock.
    from docx.enum.style import WD_STYLE_TYPE

    names = {s.style_id: s.name or "" for s in document.styles if s.style_id}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name if default is not None else "") or ""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style_id = para._p.style  # the w:pStyle value, or None for the default paragraph style
        style = names.get(style_id, default_name) if style_id else default_name
        if style.startswith(("Heading", "Title")):
            sections.append((text, []))
        else:
            sections[-1][1].append(text)
    for table in document.tables:
        sections[-1][1].append(table_text([[cell.text.strip() for cell in row.cells] for row in table.rows]))
    return _blocks_from_sections(sections)


def table_text(rows: list[list[str]]) -> str:
    """A table whose cells are known (Markdown, DOCX, HTML) as paragraphs of one row each, every value with
    its column header: "Reform of the criminal justice system — Where: Nepal; Since: 2013." The first row is
    taken as the header when the table has more than one row."""
    from ingest.tables import format_row

    rows = [[" ".join(c.split()) for c in r] for r in rows if any(c.strip() for c in r)]
    if not rows:
        return ""
    header = rows[0] if len(rows) > 1 else []
    out = []
    for cells in rows[1:] if header else rows:
        # merged cells repeat their text in python-docx; a row of one distinct value is a caption
        if len(set(cells)) == 1:
            out.append(cells[0])
            continue
        label, values = cells[0], cells[1:]
        heads = header[1:] if header else []
        out.append(format_row(label, [h if h != v else "" for h, v in zip(heads, values)] if heads else [], values))
    return "\n\n".join(out)


_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _markdown_tables(lines: list[str]) -> list[str]:
    """Markdown pipe tables replaced by one paragraph per row (see :func:`table_text`)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and _MD_SEPARATOR.match(lines[i + 1]):
            rows = [lines[i]]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            out.extend(["", table_text(cells), ""])
            continue
        out.append(lines[i])
        i += 1
    return out


def _blocks_from_sections(sections: list[tuple[str, list[str]]]) -> list[Block]:
    blocks = []
    for heading, paras in sections:
        body = clean_text("\n\n".join(paras))
        if body:
            blocks.append(Block(text=body, page=None, section=heading))
        elif heading and not any(clean_text("\n\n".join(p)) for _, p in sections):
            # a document of headings only (sections[0] is always the untitled lead-in, so the
            # old test `len(sections) == 1` could never hold): its headings are its text
            blocks.append(Block(text=heading, page=None, section=heading))
    if not blocks:
        raise LoadError("document contains no text")
    return blocks


def load_markdown_text(text: str) -> list[Block]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_front_matter = text.startswith("---\n")
    lines = text.splitlines()
    start = 0
    if in_front_matter:
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        start = end + 1 if end is not None else 0
    for line in _markdown_tables(lines[start:]):
        match = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    return _blocks_from_sections([(h, ["\n".join(body)]) for h, body in sections])


def _decode_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise LoadError("binary content, not text (NUL bytes found)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise LoadError("not a text file (cannot decode as UTF-8)")
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > max(8, len(text[:8192]) // 50):
        raise LoadError("binary content, not text (too many control characters)")
    if not text.strip():
        raise LoadError("file contains only whitespace")
    return text


_EMPHASIS = re.compile(r"(\*\*|__|`)(?=\S)(.+?)(?<=\S)\1")


def load_markdown(path: Path) -> list[Block]:
    return load_markdown_text(_EMPHASIS.sub(r"\2", _decode_text(path)))


def load_text(path: Path) -> list[Block]:
    text = _decode_text(path)
    sections: list[tuple[str, list[str]]] = [("", [])]
    for para in re.split(r"\n\s*\n", text):
        stripped = para.strip()
        first, _, rest = stripped.partition("\n")
        underlined = re.fullmatch(r"[=\-~]{3,}", rest.strip() or "x")
        if stripped and ((first.isupper() and len(first) < 80 and not rest) or underlined):
            sections.append((first.strip().title() if first.isupper() else first.strip(), []))
        else:
            sections[-1][1].append(para)
    return _blocks_from_sections(sections)


def load_html(path: Path) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_text(path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer"]):
        tag.decompose()
    sections: list[tuple[str, list[str]]] = [("", [])]
    body = soup.body or soup
    for table in reversed(body.find_all("table")):  # innermost first: a table becomes its rows, read as text
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in table.find_all("tr")]
        holder = soup.new_tag("div")
        for para in table_text(rows).split("\n\n"):
            if para:
                tag = soup.new_tag("p")
                tag.string = para
                holder.append(tag)
        table.replace_with(holder)
    block_tags = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "caption"]
    for element in body.find_all(block_tags):
        if element.find(block_tags):  # its children will be visited on their own
            continue
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            sections.append((text, []))
        else:
            sections[-1][1].append(text)
    if all(not paras for _, paras in sections):
        loose = " ".join(body.get_text(" ", strip=True).split())
        sections = [("", [loose])]
    return _blocks_from_sections(sections)


LOADERS: dict[str, Callable[[Path], list[Block]]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
}


def check_file(path: Path, max_mb: float) -> None:
    """Reasons to refuse a file before reading it: unknown format, empty, too large."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise LoadError(f"unsupported format '{suffix or path.name}' (supported: {', '.join(SUPPORTED)})")
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty file (0 bytes)")
    if size > max_mb * 2**20:
        raise LoadError(f"file too large ({size / 2**20:.1f} MB; the limit is {max_mb:g} MB, setting max_file_mb)")


def load(path: Path, max_mb: float = 50.0) -> list[Block]:
    """Blocks of text for any supported file, or :class:`LoadError` saying why not."""
    check_file(path, max_mb)
    try:
        return LOADERS[path.suffix.lower()](path)
    except LoadError:
        raise
    except RecursionError as exc:
        raise LoadError("file structure too deeply nested to read") from exc
    except MemoryError as exc:
        raise LoadError("file needs too much memory to read") from exc
    except Exception as exc:
        raise LoadError(f"unreadable {path.suffix.lower()} file ({type(exc).__name__}: {str(exc)[:120]})") from exc
