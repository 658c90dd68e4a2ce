"""Loaders: every format gives text blocks; PDFs keep pages and lose running lines; bad files give LoadError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import docfactory as df
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.loaders import LoadError, load

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _all_text(blocks) -> str:
    return "\n".join(b.text for b in blocks)


# ------------------------------------------------------------------------------- good files


@pytest.mark.parametrize(
    "name, build",
    [
        ("doc.pdf", df.make_pdf),
        ("doc.docx", df.make_docx),
        ("doc.html", df.make_html),
        ("doc.htm", df.make_html),
        ("doc.md", df.make_markdown),
        ("doc.markdown", df.make_markdown),
        ("doc.txt", df.make_text),
    ],
)
def test_each_format_gives_blocks_with_text(tmp_path, name, build):
    blocks = load(build(tmp_path / name))
    assert blocks
    assert all(b.text.strip() for b in blocks)
    text = _all_text(blocks)
    assert ("prosecutor" in text) or ("alphapage" in text)


def test_every_sample_corpus_document_loads():
    from ingest.metadata import is_metadata_file

    files = [p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".") and not is_metadata_file(p)]
    assert len(files) >= 10
    for path in files:
        blocks = load(path)
        assert sum(len(b.text) for b in blocks) > 200, path


def test_pdf_blocks_keep_their_page_numbers(tmp_path):
    blocks = load(df.make_pdf(tmp_path / "three.pdf", 3))
    assert [b.page for b in blocks] == [1, 2, 3]
    for block in blocks:
        for n in (1, 2, 3):
            assert (df.page_marker(n) in block.text) == (n == block.page), (block.page, n)


def test_pdf_page_numbers_survive_a_page_without_text(tmp_path):
    """An image-only page in the middle: the next page is still called page 3, not page 2."""
    pages = [df.default_page_text(1), None, df.default_page_text(3)]
    blocks = load(df.make_pdf(tmp_path / "gap.pdf", pages, headings=None))
    assert [b.page for b in blocks] == [1, 3]
    assert df.page_marker(3) in blocks[1].text


def test_pdf_running_header_and_footer_are_removed(tmp_path):
    path = df.make_pdf(tmp_path / "running.pdf", 3)
    from pypdf import PdfReader

    raw = PdfReader(str(path)).pages[1].extract_text()
    assert df.RUNNING_HEADER in raw and "page 2 of 3" in raw  # they are really in the PDF...
    text = _all_text(load(path))
    assert df.RUNNING_HEADER not in text  # ...and not in what gets indexed
    assert "Programme dossier" not in text
    assert "of 3" not in text
    for n in (1, 2, 3):  # while the body of every page is still there, last sentence included
        body = df.default_page_text(n)
        assert body.split(". ")[-1] in text


def test_single_page_pdf_keeps_all_its_lines(tmp_path):
    """With one page there is no 'running' line to detect: nothing is dropped."""
    text = _all_text(load(df.make_pdf(tmp_path / "one.pdf", 1)))
    assert df.RUNNING_HEADER in text


def test_pdf_section_comes_from_the_page_heading(tmp_path):
    blocks = load(df.make_pdf(tmp_path / "h.pdf", 2))
    assert [b.section for b in blocks] == [f"Section on {df.page_marker(1)}", f"Section on {df.page_marker(2)}"]


@pytest.mark.parametrize("name, build", [("s.docx", df.make_docx), ("s.md", df.make_markdown), ("s.html", df.make_html)])
def test_headings_become_sections(tmp_path, name, build):
    sections = [("Background", "Alpha body text about courts."), ("Eligibility", "Beta body about who may apply."),
                ("Contacts", "Gamma body with an office address.")]
    blocks = load(build(tmp_path / name, sections))
    by_section = {b.section: b.text for b in blocks}
    assert "Alpha body" in by_section["Background"]
    assert "Beta body" in by_section["Eligibility"]
    assert "Gamma body" in by_section["Contacts"]
    assert "Beta" not in by_section["Background"]


@pytest.mark.parametrize("name, build", [("t.docx", df.make_docx), ("t.md", df.make_markdown)])
def test_document_of_headings_only_is_indexed_by_its_headings(tmp_path, name, build):
    if name.endswith(".docx"):
        path = build(tmp_path / name, sections=[], title="Annual plan placeholder")
    else:
        path = tmp_path / name
        path.write_text("# Annual plan placeholder\n", encoding="utf-8")
    blocks = load(path)
    assert [(b.text, b.section) for b in blocks] == [("Annual plan placeholder", "Annual plan placeholder")]


def test_html_drops_scripts_navigation_and_footer(tmp_path):
    text = _all_text(load(df.make_html(tmp_path / "page.html")))
    for hidden in ("scriptsecret", "navigationsecret", "footersecret", "color: red"):
        assert hidden not in text


def test_markdown_front_matter_is_not_text(tmp_path):
    text = _all_text(load(df.make_markdown(tmp_path / "fm.md")))
    assert "front matter" not in text


def test_docx_tables_are_kept(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Figures", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Country", "Participants"
    table.cell(1, 0).text, table.cell(1, 1).text = "Nepal", "forty"
    path = tmp_path / "table.docx"
    document.save(str(path))
    text = _all_text(load(path))
    assert "Nepal" in text and "Participants" in text


def test_text_file_in_windows_encoding_is_read(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\xe9 meeting notes \x96 the programme r\xe9sum\xe9.".encode("latin-1"))
    assert "Café" in _all_text(load(path))


def test_text_headings_in_capitals_become_sections(tmp_path):
    path = df.make_text(tmp_path / "caps.txt", "INTRODUCTION\n\nFirst part body.\n\nELIGIBILITY\n\nWho may apply.\n")
    blocks = load(path)
    assert {b.section: b.text for b in blocks} == {"Introduction": "First part body.", "Eligibility": "Who may apply."}


# ------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "name, build, reason",
    [
        ("corrupt.pdf", df.make_corrupt_pdf, "corrupt"),
        ("locked.pdf", df.make_encrypted_pdf, "encrypted"),
        ("scan.pdf", df.make_scanned_pdf, "no text layer"),
        ("empty.pdf", df.make_empty, "empty"),
        ("empty.txt", df.make_empty, "empty"),
        ("empty.md", df.make_empty, "empty"),
        ("image.txt", df.make_binary_txt, "binary"),
        ("image.md", df.make_binary_txt, "binary"),
        ("image.html", df.make_binary_txt, "binary"),
        ("fake.docx", df.make_docx_not_zip, "not a valid zip"),
        ("other.docx", df.make_zip_without_document, "not a Word document"),
    ],
)
def test_bad_input_gives_load_error_with_reason(tmp_path, name, build, reason):
    with pytest.raises(LoadError, match=reason):
        load(build(tmp_path / name))


def test_unknown_extension_is_refused(tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04 whatever")
    with pytest.raises(LoadError, match=r"unsupported format '\.xlsx'"):
        load(path)
    bare = tmp_path / "README"
    bare.write_text("no extension at all")
    with pytest.raises(LoadError, match="unsupported format 'README'"):
        load(bare)


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = df.make_pdf(tmp_path / "big.pdf", 2)
    limit_mb = path.stat().st_size / 2**20 / 2
    with pytest.raises(LoadError, match="too large.*max_file_mb"):
        load(path, max_mb=limit_mb)
    assert load(path, max_mb=limit_mb * 4)  # the same file under a higher limit is fine


def test_whitespace_only_text_is_refused(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("   \n\n\t  \n")
    with pytest.raises(LoadError, match="whitespace"):
        load(path)


def test_html_without_text_is_refused(tmp_path):
    path = tmp_path / "blank.html"
    path.write_text("<html><body><script>x()</script><div>   </div></body></html>")
    with pytest.raises(LoadError, match="no text"):
        load(path)


def test_pdf_with_owner_password_only_is_read(tmp_path):
    """Encrypted with an empty user password: readers open it without asking, so must we."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(df.pdf_bytes([df.default_page_text(1)]))))
    writer.encrypt(user_password="", owner_password="owner-only")
    path = tmp_path / "owner.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    assert df.page_marker(1) in _all_text(load(path))


_SEEDS = [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body>", b"\x00\x01\x02", b"# Title\n\ntext"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    suffix=st.sampled_from([".pdf", ".docx", ".html", ".txt", ".md"]),
    prefix=st.sampled_from(_SEEDS),
    body=st.binary(max_size=2048),
)
def test_arbitrary_bytes_never_raise_anything_but_load_error(suffix, prefix, body):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(prefix + body)
        try:
            blocks = load(path)
        except LoadError as exc:
            assert str(exc)  # a reason is always given
        else:
            assert all(b.text.strip() for b in blocks)


def _valid_bytes() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        return {
            ".pdf": df.pdf_bytes([df.default_page_text(1), df.default_page_text(2)]),
            ".docx": df.make_docx(base / "d.docx").read_bytes(),
            ".html": df.make_html(base / "h.html").read_bytes(),
        }


VALID = _valid_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(
    suffix=st.sampled_from(sorted(VALID)),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)), max_size=6),
    keep=st.integers(8, 10**6),
)
def test_damaged_valid_files_never_raise_anything_but_load_error(suffix, edits, keep):
    """Real files with bytes overwritten and the tail cut off: read, or refused with LoadError."""
    data = bytearray(VALID[suffix])
    for pos, patch in edits:
        pos %= len(data)
        data[pos : pos + len(patch)] = patch
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"damaged{suffix}"
        path.write_bytes(bytes(data[:keep]))
        try:
            load(path)
        except LoadError as exc:
            assert str(exc)
