"""Builders of test documents: good ones in every format, and the bad inputs ingestion must survive.

Every builder writes one file and returns its path. Text is deterministic (fixed
creation dates), so a file rebuilt with the same arguments has the same bytes and
an incremental sync sees it as unchanged.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED_DATE = _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC)

RUNNING_HEADER = "Regional Programme Office - Internal Working Copy"
FOOTER_TEMPLATE = "Programme dossier - page {n} of {total}"

LOREM = (
    "The programme supports prosecutors and judges in partner countries. Training is delivered in "
    "short courses followed by mentoring. Each course ends with an evaluation by the participants. "
    "Results are reported to the steering committee every year."
)


def page_marker(n: int) -> str:
    """A word that appears on page ``n`` only (letters only, so no digit folding can merge two)."""
    words = ["alphapage", "bravopage", "charliepage", "deltapage", "echopage", "foxtrotpage", "golfpage", "hotelpage"]
    return words[n - 1]


_VOCAB = (
    "court prosecutor judge prison probation police training mentoring seminar course partner ministry "
    "reform evidence witness victim offender sentence appeal statute treaty budget report review audit "
    "country region office staff expert workshop manual curriculum survey pilot delivery outcome"
).split()


def default_page_text(n: int, sentences: int = 6) -> str:
    """Prose for page ``n``: its marker word, then sentences whose words differ from page to page.

    (Identical lines on several pages would rightly be taken for a running header or footer.)
    """
    import random

    rng = random.Random(n)
    marker = page_marker(n)
    out = [f"This page is about {marker}."]
    for _ in range(sentences):
        words = rng.sample(_VOCAB, 9)
        out.append(f"The {words[0]} and the {words[1]} discussed {' '.join(words[2:])} with care.")
    return " ".join(out)


# ------------------------------------------------------------------------------- PDF


def _fpdf(header: str | None, footer: bool):
    from fpdf import FPDF

    class _PDF(FPDF):
        def header(self) -> None:  # fpdf hook
            if header:
                self.set_font("Helvetica", "", 8)
                self.cell(0, 6, header, align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self) -> None:  # fpdf hook
            if footer:
                self.set_y(-15)
                self.set_font("Helvetica", "I", 8)
                self.cell(0, 10, FOOTER_TEMPLATE.format(n=self.page_no(), total="{nb}"), align="C")

    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    return pdf


def pdf_bytes(
    pages: list[str | None],
    *,
    headings: list[str | None] | None = None,
    header: str | None = RUNNING_HEADER,
    footer: bool = True,
) -> bytes:
    """A PDF with one page per entry; ``None`` makes a page with a drawing and no text at all."""
    pdf = _fpdf(header, footer)
    for i, text in enumerate(pages):
        pdf.add_page()
        heading = headings[i] if headings else None
        if heading:
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        if text is None:
            pdf.set_fill_color(120, 120, 120)
            pdf.rect(30, 40, 120, 160, style="F")
        else:
            pdf.set_font("Helvetica", "", 11)
            pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def make_pdf(path: Path, pages: list[str | None] | int = 3, **kwargs) -> Path:
    """A valid multi-page PDF (default: 3 pages, each with its own marker word, running header and footer)."""
    if isinstance(pages, int):
        pages = [default_page_text(n) for n in range(1, pages + 1)]
    kwargs.setdefault("headings", [f"Section on {page_marker(n)}" for n in range(1, len(pages) + 1)])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(pages, **kwargs))
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Image-only pages (a filled rectangle, as a scan would be), no text layer, no header/footer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes([None] * pages, header=None, footer=False))
    return path


def make_encrypted_pdf(path: Path, password: str = "s3cret") -> Path:
    """A PDF that needs a user password to open."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([default_page_text(1)]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    buf = io.BytesIO()
    writer.write(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """A PDF cut off after its header and a little of its first object: no pages can be found."""
    data = pdf_bytes([default_page_text(1), default_page_text(2)])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:120])
    return path


# ------------------------------------------------------------------------------- other formats

DEFAULT_SECTIONS = [("Background", LOREM), ("Eligibility", "Judges and prosecutors may apply.")]


def make_docx(path: Path, sections: list[tuple[str, str]] | None = None, title: str | None = None) -> Path:
    """A Word file: an optional title, then (heading, paragraph) pairs with Heading 1 style."""
    import docx

    document = docx.Document()
    document.core_properties.created = FIXED_DATE.replace(tzinfo=None)
    if title:
        document.add_heading(title, level=0)
    for heading, body in DEFAULT_SECTIONS if sections is None else sections:
        document.add_heading(heading, level=1)
        for para in body.split("\n\n"):
            document.add_paragraph(para)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def make_docx_not_zip(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("This is plain text pretending to be a Word document.\n" * 20, encoding="utf-8")
    return path


def make_zip_without_document(path: Path) -> Path:
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a word document")
    return path


def make_html(path: Path, sections: list[tuple[str, str]] | None = None, title: str = "Test page") -> Path:
    parts = [f"<html><head><title>{title}</title><style>body {{color: red}}</style>",
             "<script>var tracking = 'scriptsecret';</script></head><body>",
             "<nav>navigationsecret menu</nav>"]
    for heading, body in DEFAULT_SECTIONS if sections is None else sections:
        parts.append(f"<h2>{heading}</h2>")
        parts.extend(f"<p>{p}</p>" for p in body.split("\n\n"))
    parts.append("<footer>footersecret copyright</footer></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def make_markdown(path: Path, sections: list[tuple[str, str]] | None = None, title: str = "Test note") -> Path:
    lines = ["---", "note: front matter is skipped", "---", f"# {title}", ""]
    for heading, body in DEFAULT_SECTIONS if sections is None else sections:
        lines += [f"## {heading}", "", body, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def make_text(path: Path, text: str = LOREM) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_empty(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def make_binary_txt(path: Path) -> Path:
    """Binary data (a PNG signature, NUL bytes, random-looking bytes) under a .txt name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = bytes((i * 37 + 11) % 256 for i in range(4096))
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + body)
    return path


def make_many_docs(folder: Path, n: int, paragraphs: int = 6) -> list[Path]:
    """``n`` Markdown documents, each long enough to give several chunks."""
    out = []
    for i in range(n):
        sections = [
            (f"Part {j} of document {i}", f"Document number{i} part{j} discusses topic{i * 7 + j}. {LOREM}")
            for j in range(paragraphs)
        ]
        out.append(make_markdown(folder / f"doc-{i:03d}.md", sections, title=f"Generated document {i}"))
    return out


def write_catalogue(root: Path, docs: dict[str, dict]) -> Path:
    import yaml

    path = root / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"documents": docs}, sort_keys=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------- the CLI as a subprocess


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for ``python -m ingest`` subprocesses: no PA_* settings leaking in from outside (but the
    suite's PA_MULTILINGUAL_MODEL=off, see conftest: no second index unless a test asks for one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_") or k == "PA_MULTILINGUAL_MODEL"}
    env.update({"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", **extra})
    return env


def ingest_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "ingest", *map(str, args)]


def run_ingest(*args: str | Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ingest_cmd(*args), cwd=ROOT, env=cli_env(**env), capture_output=True, text=True, timeout=timeout
    )


# ------------------------------------------------------------------------------- index checks


class IndexState:
    """What an index holds, read back from disk: manifest, every stored chunk, the keyword index."""

    def __init__(self, settings, fresh: bool = False) -> None:
        from assistant.keyword import KeywordIndex
        from assistant.store import ChromaStore, Manifest

        if fresh:  # another process wrote the embedded store: drop chromadb's per-path client cache
            drop_chroma_clients(settings)
        self.settings = settings
        self.manifest = Manifest.load(settings)
        self.store = ChromaStore(settings)
        rows = list(self.store.iter_all())
        self.store_id_list = [cid for cid, _, _ in rows]
        self.store_ids = set(self.store_id_list)
        self.texts = {cid: doc for cid, doc, _ in rows}
        self.metas = {cid: meta for cid, _, meta in rows}
        self.partition_of = {cid: rank for rank in self.store.ranks() for cid, _, _ in self.store.iter_all(include=(), ranks=[rank])}
        self.keyword = KeywordIndex.load(settings.index_dir / f"keyword-{settings.index_settings_hash}")

    @property
    def manifest_ids(self) -> set[str]:
        return {cid for rec in self.manifest.docs.values() for cid in rec.chunk_ids}

    def doc_ids_in_store(self) -> set[str]:
        return {m["doc_id"] for m in self.metas.values()}

    def ids_of(self, doc_id: str) -> set[str]:
        return {cid for cid, m in self.metas.items() if m["doc_id"] == doc_id}

    def assert_consistent(self) -> IndexState:
        """Store == manifest == keyword index, with no duplicate, orphan or stray chunk."""
        m = self.manifest
        assert not m.dirty, "manifest still marked dirty after a finished sync"
        assert len(self.store_id_list) == len(self.store_ids), "duplicate ids in the store"
        all_manifest = [cid for rec in m.docs.values() for cid in rec.chunk_ids]
        assert len(all_manifest) == len(set(all_manifest)), "a chunk id is owned by two manifest entries"
        orphans = self.store_ids - self.manifest_ids
        missing = self.manifest_ids - self.store_ids
        assert not orphans, f"orphaned chunks in the store: {sorted(orphans)[:5]}"
        assert not missing, f"manifest chunks missing from the store: {sorted(missing)[:5]}"
        from assistant.access import audience_rank

        for doc_id, rec in m.docs.items():
            for cid in rec.chunk_ids:
                assert self.metas[cid]["doc_id"] == doc_id
                assert self.metas[cid]["audience"] == rec.audience, f"{cid}: stored audience is stale"
                assert self.partition_of[cid] == audience_rank(rec.audience), f"{cid} is in the wrong access partition"
        assert self.store.count() == len(self.store_ids)
        kw = self.keyword
        assert kw is not None, "no keyword index on disk"
        assert kw.stamp == m.version, (kw.stamp, m.version)
        assert len(kw.ids) == len(set(kw.ids))
        assert set(kw.ids) == self.store_ids, "keyword index and store disagree"
        for cid in kw.ids:
            meta = self.metas[cid]
            expected = {k: meta.get(k) or "" for k in ("doc_id", "doc_type", "programme", "region")}
            expected |= {"access_rank": meta["access_rank"]}
            expected |= {k: sorted(str(v) for v in meta.get(k) or ()) for k in ("countries", "years")}
            assert kw.row(cid) == expected, f"keyword columns of {cid} are stale"
        return self


def drop_chroma_clients(settings) -> None:
    """Forget this process's cached embedded Chroma client of ``settings``'s index, so the next
    client sees what another process wrote (only this index's entry is dropped)."""
    from assistant.store import ChromaStore

    ChromaStore(settings).reopen()
