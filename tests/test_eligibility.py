"""Programme eligibility: the cases table, question parsing, chat answers, access, and the ingestion check."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from assistant.eligibility import (
    CatalogueError,
    EligibilityEngine,
    UnknownProgrammeError,
    default_engine,
    main,
    parse_question,
)
from assistant.places import PlaceError, regions, resolve
from ingest.eligibility_check import verify
from ingest.loaders import load
from ingest.metadata import is_metadata_file

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CASES = yaml.safe_load((Path(__file__).with_name("eligibility_cases.yaml")).read_text(encoding="utf-8"))["cases"]
AUDIENCE = {k: v["audience"] for k, v in yaml.safe_load((CORPUS / "catalogue.yaml").read_text())["documents"].items()}


@pytest.fixture(scope="module")
def engine() -> EligibilityEngine:
    return EligibilityEngine(CORPUS / "eligibility.yaml")


def test_cases_table_is_large_enough():
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(engine, case):
    args = (case.get("country"), case.get("role"), case.get("topic"), case.get("programme"), case.get("reader", "partner"))
    if "error" in case:
        expected = PlaceError if case["error"] in ("unknown", "ambiguous") else UnknownProgrammeError
        with pytest.raises(expected) as info:
            engine.check(*args)
        if expected is PlaceError:
            assert info.value.problem == case["error"]
            assert set(case.get("suggest", [])) <= set(info.value.suggestions), info.value.suggestions
        return
    result = engine.check(*args)
    got = {v.programme: v for v in result.programmes}
    for pid, want in (case.get("expect") or {}).items():
        assert pid in got, f"{pid} missing from {sorted(got)}"
        assert got[pid].verdict == want["verdict"], [r.text for r in got[pid].reasons]
        shown = [r.source.clause for r in got[pid].shown()]
        for clause in want.get("cites", []):
            assert clause in shown, shown
    if "only" in case:
        assert set(got) == set(case["only"])
    assert not set(case.get("hidden", [])) & set(got)
    if "notice" in case:
        assert any(case["notice"] in n for n in result.notices), result.notices
    for verdict in result.programmes:  # every reason cites a clause of its own programme's document
        assert all(r.source.doc_id == verdict.doc_id and r.source.clause for r in verdict.reasons)


def test_catalogue_matches_documents():
    assert verify(CORPUS) == []


def test_every_clause_is_verbatim_and_on_its_page(engine):
    for p in engine.programmes:
        blocks = load(CORPUS / p.doc_id)
        for c in p.criteria():
            text = " ".join(" ".join(b.text for b in blocks if c.source.page in (None, b.page)).split())
            assert c.source.clause in text, (p.id, c.source.clause)


def test_catalogue_covers_the_seven_programme_descriptions(engine):
    listed = {v["programme"] for v in yaml.safe_load((CORPUS / "catalogue.yaml").read_text())["documents"].values()
              if v["doc_type"] == "programme_description"}
    assert {p.id for p in engine.programmes} == listed and len(listed) == 7
    unafei = next(p for p in engine.programmes if p.id == "unafei-courses")
    assert len(unafei.not_eligible) == 2  # the document has two Not eligible lines


def test_places_resolution():
    assert {resolve(q).code for q in ("Viet Nam", "Vietnam", "VN", "VNM", "vietnamese")} == {"VN"}
    assert resolve("Southeast Asia").members == regions()["south-eastern-asia"].members
    assert len(regions()["south-eastern-asia"].members) == 11
    assert resolve("Philipines").code == "PH" and "Philippines" in resolve("Philipines").note
    with pytest.raises(PlaceError, match="did you mean"):
        resolve("Irak Republic of Nowhere")


PHRASINGS = [
    ("Can a judge from Nepal attend the Viet Nam programme?",
     {"country": "Nepal", "role": "judge", "programme": "Viet Nam programme"}),
    ("Which programmes can a prison officer from Myanmar join?", {"country": "Myanmar", "role": "prison officer"}),
    ("Is a Vietnamese prosecutor eligible for the rule of law programme?",
     {"country": "Vietnamese", "role": "prosecutor", "programme": "rule of law programme"}),
    ("May a magistrate from Cambodia take part in the senior seminar?",
     {"country": "Cambodia", "role": "magistrate", "programme": "senior seminar"}),
    ("I am a probation officer from Thailand. Which courses can I apply for?",
     {"country": "Thailand", "role": "probation officer"}),
    ("Can a public prosecutor from Indonesia join a programme on corruption?",
     {"country": "Indonesia", "role": "public prosecutor", "topic": "corruption"}),
    ("Can officials from Southeast Asia participate in the community-based treatment programme?",
     {"country": "Southeast Asia", "role": None, "programme": "community-based treatment programme"}),
    ("Could a senior police officer from the Philippines be eligible?",
     {"country": "Philippines", "role": "senior police officer"}),
    ("can a police officer from myanmr join the prison management programme",
     {"country": "myanmr", "role": "police officer", "programme": "prison management"}),
    ("Which programmes on prison management can a judge from Nepal join?",
     {"country": "Nepal", "role": "judge", "topic": "prison management", "programme": None}),
    ("Who can attend the senior seminar?", {"country": None, "role": None, "programme": "senior seminar"}),
    ("Can a judge from Atlantis attend?", {"country": "Atlantis", "role": "judge"}),
    ("When did Japan join the ICC?", None),
    ("Which seminars did Japan attend in 2016?", None),
    ("What does UNAFEI stand for?", None),
    ("Can someone in my role, from my country, attend this programme?", None),
]


@pytest.mark.parametrize("text,expected", PHRASINGS, ids=[p[0][:50] for p in PHRASINGS])
def test_parse_question(text, expected):
    query = parse_question(text)
    if expected is None:
        assert query is None
        return
    assert query is not None
    for key, value in expected.items():
        assert getattr(query, key) == value, (key, query)


def test_answer_nepal_judge_viet_nam_programme(engine):
    answer = engine.answer("Can a judge from Nepal attend the Viet Nam programme?", "partner")
    assert answer.kind == "eligibility" and not answer.declined
    assert "Not eligible" in answer.text and "[1]" in answer.text
    [citation] = answer.citations
    assert citation.quote == "Not eligible: officials from countries other than Viet Nam."
    assert citation.title == "Viet Nam: Reform and Improvement of the Criminal Justice System (since 2014)"
    assert citation.doc_id == "programmes/viet-nam-criminal-justice-reform.html"
    assert citation.page is None and citation.source_path == ""
    assert answer.to_dict()["kind"] == "eligibility"


def test_answer_cites_pdf_pages(engine):
    answer = engine.answer("Which programmes can a prison officer from Myanmar join?", "partner")
    pages = {c.doc_id: c.page for c in answer.citations}
    assert pages["programmes/myanmar-prison-management.pdf"] == 2
    assert pages["programmes/unafei-training-courses-and-senior-seminar.pdf"] == 3
    assert all(f"[{c.n}]" in answer.text for c in answer.citations)


def test_answer_none_and_declines(engine):
    assert engine.answer("When was UNAFEI founded?", "public") is None
    unknown = engine.answer("Can a judge from Atlantis attend?", "public")
    assert unknown.declined and "Atlantis" in unknown.text and not unknown.citations
    ambiguous = engine.answer("Can a judge from Korea attend a course?", "public")
    assert ambiguous.declined and "South Korea" in ambiguous.text


@pytest.mark.parametrize("question", [
    "Can a judge from Nepal attend the Viet Nam programme?",
    "Which programmes can a prison officer from Myanmar join?",
    "Can a judge from Nepal attend the Nepal programme?",
    "Who can attend the prison management programme?",
])
def test_public_reader_never_sees_partner_clauses(engine, question):
    answer = engine.answer(question, "public")
    assert answer is not None
    assert all(AUDIENCE[c.doc_id] == "public" for c in answer.citations)
    for title in ("Nepal:", "Viet Nam:", "Myanmar:"):
        assert f"- {title}" not in answer.text


def _copy_corpus(tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


def _set_audience(root: Path, programme: str, doc_id: str, audience: str, both: bool = True) -> None:
    cat = yaml.safe_load((root / "catalogue.yaml").read_text())
    cat["documents"][doc_id]["audience"] = audience
    (root / "catalogue.yaml").write_text(yaml.safe_dump(cat, sort_keys=False))
    if both:
        elig = yaml.safe_load((root / "eligibility.yaml").read_text())
        next(p for p in elig["programmes"] if p["id"] == programme)["audience"] = audience
        (root / "eligibility.yaml").write_text(yaml.safe_dump(elig, sort_keys=False))


def test_partner_never_sees_a_staff_only_programme(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = "programmes/community-based-treatment-southeast-asia.md"
    _set_audience(root, "community-based-treatment", doc, "staff")
    assert verify(root) == []
    engine = EligibilityEngine(root / "eligibility.yaml")
    for reader in ("public", "partner"):
        assert "community-based-treatment" not in {p.id for p in engine.visible(reader)}
        result = engine.check("Thailand", "probation officer", reader_role=reader)
        assert all(r.source.doc_id != doc for v in result.programmes for r in v.reasons)
        answer = engine.answer("Which programmes can a probation officer from Thailand join?", reader)
        assert all(c.doc_id != doc for c in answer.citations)
        with pytest.raises(UnknownProgrammeError):
            engine.check("Thailand", "probation officer", programme="community-based-treatment", reader_role=reader)
    for reader in ("staff", "admin"):
        assert engine.check("Thailand", "probation officer", reader_role=reader).verdict("community-based-treatment") == "eligible"


def test_stricter_audience_wins_and_mismatch_is_reported(tmp_path):
    root = _copy_corpus(tmp_path)
    doc = "programmes/community-based-treatment-southeast-asia.md"
    _set_audience(root, "community-based-treatment", doc, "staff", both=False)  # only catalogue.yaml says staff
    engine = EligibilityEngine(root / "eligibility.yaml")
    assert "community-based-treatment" not in {p.id for p in engine.visible("partner")}
    assert any("community-based-treatment" in p and "audience" in p for p in verify(root))


def test_unknown_reader_role(engine):
    with pytest.raises(ValueError, match="reader role"):
        engine.check("Nepal", "judge", reader_role="guest")


def test_malformed_catalogue_names_the_programme(tmp_path):
    root = _copy_corpus(tmp_path)
    text = (root / "eligibility.yaml").read_text().replace("roles: [corrections]", "roles: [wizard]")
    (root / "eligibility.yaml").write_text(text)
    with pytest.raises(CatalogueError, match="myanmar-prison-management.*wizard"):
        EligibilityEngine(root / "eligibility.yaml")


# --- ingestion: the catalogue is checked, and stops the sync when a document no longer matches -------

BROKEN_MD = ("programmes/community-based-treatment-southeast-asia.md",
             "Not eligible: officials from countries outside Southeast Asia.",
             "Not eligible: officials from countries outside South-East Asia.")
EXPECTED_MD = ("eligibility catalogue: programme 'community-based-treatment': clause 'Not eligible: officials from "
               "countries outside Southeast Asia.' not found in programmes/community-based-treatment-southeast-asia.md")


def _break_markdown(root: Path) -> None:
    path = root / BROKEN_MD[0]
    path.write_text(path.read_text(encoding="utf-8").replace(BROKEN_MD[1], BROKEN_MD[2]), encoding="utf-8")


def _rebuild_nepal_pdf(root: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_corpus", build)  # its dataclasses look their module up
    spec.loader.exec_module(build)
    src = tmp_path / "nepal.pdf.txt"
    text = (ROOT / "corpus-src/programmes/nepal-criminal-justice-reform.pdf.txt").read_text(encoding="utf-8")
    src.write_text(text.replace("Eligible countries: Nepal.", "Eligible countries: Nepal and Bhutan."), encoding="utf-8")
    build.build_pdf(build.parse_source(src), root / "programmes" / "nepal-criminal-justice-reform.pdf")


def _only_about(message: str, programme: str) -> None:
    lines = message.splitlines()
    assert all(f"programme '{programme}'" in line for line in lines), lines
    others = {"unafei-courses", "corruption-response", "rule-of-law-governance", "nepal-reform", "viet-nam-reform",
              "myanmar-prison-management", "community-based-treatment"} - {programme}
    assert not any(f"'{o}'" in message for o in others)


def test_sync_stops_on_a_changed_document(tmp_path, make_settings):
    from assistant.store import Manifest
    from ingest.pipeline import sync

    root = _copy_corpus(tmp_path)
    _break_markdown(root)
    settings = make_settings()
    with pytest.raises(CatalogueError) as info:
        sync([root], settings)
    assert isinstance(info.value, ValueError)
    assert str(info.value).splitlines()[0] == EXPECTED_MD
    _only_about(str(info.value), "community-based-treatment")
    assert Manifest.load(settings).docs == {}  # nothing was written


def test_sync_stops_on_a_changed_pdf_clause(tmp_path, make_settings):
    from ingest.pipeline import sync

    root = _copy_corpus(tmp_path)
    _rebuild_nepal_pdf(root, tmp_path)
    with pytest.raises(CatalogueError) as info:
        sync([root], make_settings(), dry_run=True)
    message = str(info.value)
    assert message.splitlines()[0] == ("eligibility catalogue: programme 'nepal-reform': clause 'Eligible countries: "
                                       "Nepal.' not found on page 2 of programmes/nepal-criminal-justice-reform.pdf")
    assert "'Eligible countries: Nepal and Bhutan.' on page 2" in message  # the new wording is shown too
    _only_about(message, "nepal-reform")


def test_wrong_page_is_reported(tmp_path):
    root = _copy_corpus(tmp_path)
    text = (root / "eligibility.yaml").read_text()
    text = text.replace('clause: "Eligible countries: Myanmar."\n      page: 2', 'clause: "Eligible countries: Myanmar."\n      page: 1')
    (root / "eligibility.yaml").write_text(text)
    assert verify(root) == ["eligibility catalogue: programme 'myanmar-prison-management': clause 'Eligible countries: "
                            "Myanmar.' not found on page 1 of programmes/myanmar-prison-management.pdf"]


def test_sync_dry_run_passes_and_does_not_index_the_catalogue(tmp_path, make_settings):
    from ingest.pipeline import sync

    assert is_metadata_file(CORPUS / "eligibility.yaml")
    report = sync([_copy_corpus(tmp_path)], make_settings(), dry_run=True)
    ids = {f.doc_id for f in report.files}
    documents = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file() and not is_metadata_file(p)}
    assert report.status == "ok" and "eligibility.yaml" not in ids and ids == documents


def test_roots_without_a_catalogue_are_not_checked(tmp_path, make_settings):
    from ingest.pipeline import sync

    root = tmp_path / "docs"
    root.mkdir()
    (root / "note.md").write_text("# Note\n\nEligible countries: anywhere.\n", encoding="utf-8")
    assert sync([root], make_settings(), dry_run=True).status == "ok"


def test_ingest_cli_exits_2_naming_the_clause(tmp_path):
    root = _copy_corpus(tmp_path)
    _break_markdown(root)
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", str(root), "--embed-model", "hash", "--index-dir", str(tmp_path / "ix")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: " + EXPECTED_MD)


# --- the eligibility CLI --------------------------------------------------------------------------------

def test_cli_text_and_json(capsys):
    assert main(["--country", "Nepal", "--role", "judge", "--programme", "Viet Nam programme", "--reader-role", "partner"]) == 0
    out = capsys.readouterr().out
    assert "not eligible" in out and "Not eligible: officials from countries other than Viet Nam." in out
    assert main(["--country", "Myanmar", "--role", "prison officer", "--reader-role", "partner", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    verdicts = {p["programme"]: p["verdict"] for p in data["programmes"]}
    assert verdicts["myanmar-prison-management"] == "eligible" and data["place"]["code"] == "MM"


def test_cli_unknown_country_exits_2_with_suggestions(capsys):
    assert main(["--country", "Austrlia", "--role", "judge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown country or region 'Austrlia'") and "Australia" in err


def test_cli_as_module():
    proc = subprocess.run([sys.executable, "-m", "assistant.eligibility", "--country", "Atlantis", "--role", "judge"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown country" in proc.stderr


def test_default_engine_is_shared():
    assert default_engine() is default_engine()
