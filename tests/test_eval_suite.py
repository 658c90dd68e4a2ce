"""Suite format: validation messages name the case and field; YAML, JSONL, CSV and LabelledRagDataset importers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.feedback import draft_cases, draft_suite_text, read_feedback
from evals.suite import ExpectedSource, SuiteError, load_suite, load_suites, parse_mapping

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
name: demo
defaults: {role: partner}
fail_under: {pass_rate: 0.5}
cases:
  - id: one
    question: When did the Nepal programme begin?
    expected_facts: [["2013"], [Nepal, Nepalese]]
    expected_sources:
      - programmes/nepal-criminal-justice-reform.pdf
      - {doc: nepal-criminal-justice-reform.pdf, page: 2}
    tags: factual
  - id: two
    turns: ["When did the Nepal programme begin?", "What about Viet Nam?"]
    reference_answer: In 2014.
    role: public
    filters: {country: Viet Nam, year: "2014"}
  - id: three
    question: What is the budget?
    should_decline: true
    forbidden_sources: [internal/]
"""


def test_good_suite_loads(tmp_path):
    suite = load_suite(write(tmp_path, "demo.yaml", GOOD))
    assert suite.name == "demo" and suite.fail_under == {"pass_rate": 0.5} and len(suite.sha256) == 64
    one, two, three = suite.cases
    assert one.role == "partner"  # from defaults
    assert one.expected_facts == (("2013",), ("Nepal", "Nepalese"))
    assert one.expected_sources == (
        ExpectedSource("programmes/nepal-criminal-justice-reform.pdf"),
        ExpectedSource("nepal-criminal-justice-reform.pdf", 2),
    )
    assert one.tags == ("factual",) and one.history == []
    assert two.question == "What about Viet Nam?" and two.role == "public"
    assert two.history == [{"role": "user", "content": "When did the Nepal programme begin?"}]
    assert two.filters == {"country": "Viet Nam", "year": 2014}
    assert three.should_decline and three.forbidden_sources == ("internal/",)


def test_shipped_suites_are_valid():
    core, smoke = load_suites([ROOT / "evals/suites/core.yaml", ROOT / "evals/suites/smoke.yaml"])
    assert len(core.cases) >= 60 and 8 <= len(smoke.cases) <= 12
    tags = [t for c in core.cases for t in c.tags]
    assert tags.count("decline") >= 12 and tags.count("eligibility") >= 10 and tags.count("access") >= 5
    assert sum(len(c.turns) > 1 for c in core.cases) >= 8
    assert sum("factual" in c.tags for c in core.cases) >= 20
    assert sum(c.role == "partner" and bool(c.forbidden_sources) for c in core.cases) >= 5
    assert smoke.fail_under


@pytest.mark.parametrize(
    ("case_yaml", "message"),
    [
        ("- question: hi?\n  expected_facts: [x]", r"case #1: field 'id' is missing"),
        ("- id: a\n  question: hi?\n  expected_fact: [x]", r"case #1 \(id 'a'\): unknown field 'expected_fact' \(did you mean 'expected_facts'\?\)"),
        ("- id: a\n  expected_facts: [x]", r"\(id 'a'\): field 'question' is missing"),
        ("- id: a\n  question: hi?\n  turns: [x]\n  expected_facts: [x]", r"\(id 'a'\): give either 'question' or 'turns'"),
        ("- id: a\n  question: hi?\n  role: boss\n  expected_facts: [x]", r"\(id 'a'\): field 'role' must be one of public, partner, staff, admin"),
        ("- id: a\n  question: hi?\n  should_decline: maybe", r"\(id 'a'\): field 'should_decline' must be true or false"),
        ("- id: a\n  question: hi?\n  should_decline: null", r"\(id 'a'\): field 'should_decline' is not set \(null\)"),
        ("- id: a\n  question: hi?\n  should_decline: true\n  expected_facts: [x]", r"\(id 'a'\): field 'expected_facts' contradicts should_decline"),
        ("- id: a\n  question: hi?", r"\(id 'a'\): nothing to check"),
        ("- id: a\n  question: '  '\n  expected_facts: [x]", r"\(id 'a'\): field 'question' is empty"),
        ("- id: a\n  question: hi?\n  expected_facts: [[]]", r"\(id 'a'\): field 'expected_facts\[0\]' is an empty list"),
        ("- id: a\n  question: hi?\n  expected_facts: x", r"\(id 'a'\): field 'expected_facts' must be a list"),
        ("- id: a\n  question: hi?\n  expected_sources: [{doc: a.pdf, page: 0}]", r"\(id 'a'\): field 'expected_sources\[0\].page' must be a page number"),
        ("- id: a\n  question: hi?\n  expected_sources: [{page: 2}]", r"\(id 'a'\): field 'expected_sources\[0\]' needs a 'doc'"),
        ("- id: a\n  question: hi?\n  expected_facts: [x]\n  filters: {contry: Nepal}", r"\(id 'a'\): field 'filters' has unknown key 'contry' \(did you mean 'country'\?\)"),
        ("- id: a\n  question: hi?\n  expected_facts: [x]\n  filters: {year: soon}", r"\(id 'a'\): field 'filters.year' must be a year"),
        ("- id: a\n  question: hi?\n  expected_sources: [internal/a.md]\n  forbidden_sources: [internal/]", r"forbids the expected source"),
        ("- id: a\n  question: hi?\n  expected_facts: [x]\n- id: a\n  question: ho?\n  expected_facts: [y]", r"case #2 \(id 'a'\): duplicate id 'a' \(also case #1\)"),
        ("- just a string", r"case #1: a case must be a mapping"),
    ],
)
def test_validation_names_case_and_field(tmp_path, case_yaml, message):
    path = write(tmp_path, "bad.yaml", "cases:\n" + "\n".join("  " + line for line in case_yaml.splitlines()))
    with pytest.raises(SuiteError, match=message) as info:
        load_suite(path)
    assert str(info.value).startswith("bad.yaml") or str(info.value).startswith(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - id: a\n    question: [unclosed\n", r"not valid YAML at line \d+ column \d+"),
        ("", r"the file is empty"),
        ("- id: a\n", r"a suite must be a mapping with a top-level 'cases:' list"),
        ("name: x\n", r"no top-level 'cases:' list"),
        ("case: []\n", r"unknown top-level key 'case' \(did you mean 'cases'\?\)"),
        ("cases: []\n", r"the suite has no cases"),
        ("cases: [{id: a, question: q, expected_facts: [x]}]\nfail_under: {pass_rate: high}\n", r"'fail_under.pass_rate' must be a number"),
    ],
)
def test_malformed_suite_files(tmp_path, text, message):
    with pytest.raises(SuiteError, match=message):
        load_suite(write(tmp_path, "s.yaml", text))


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(SuiteError, match="unknown suite format '.txt'"):
        load_suite(write(tmp_path, "s.txt", "x"))
    with pytest.raises(SuiteError, match="suite file not found"):
        load_suite(tmp_path / "none.yaml")


def test_duplicate_ids_across_suites(tmp_path):
    a = write(tmp_path, "a.yaml", "cases: [{id: x, question: q, expected_facts: [f]}]")
    b = write(tmp_path, "b.yaml", "cases: [{id: x, question: r, expected_facts: [g]}]")
    with pytest.raises(SuiteError, match="case id 'x' is also used in"):
        load_suites([a, b])


# ----------------------------------------------------------------------------- JSONL
def test_jsonl_native_cases(tmp_path):
    lines = [
        {"id": "a", "question": "When?", "expected_facts": [["2013"]]},
        {"id": "b", "turns": ["When?", "And Viet Nam?"], "expected_sources": ["overview.md"]},
    ]
    path = write(tmp_path, "s.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    suite = load_suite(path)
    assert [c.id for c in suite.cases] == ["a", "b"] and suite.format == "jsonl"
    assert suite.cases[1].history[0]["content"] == "When?"


def test_jsonl_bad_line_is_named(tmp_path):
    path = write(tmp_path, "s.jsonl", '{"id": "a", "question": "q", "expected_facts": ["x"]}\n{"id": "b", \n')
    with pytest.raises(SuiteError, match=r"s.jsonl: line 2 is not valid JSON"):
        load_suite(path)
    path = write(tmp_path, "t.jsonl", '{"id": "a", "question": "q", "role": "chief", "expected_facts": ["x"]}\n')
    with pytest.raises(SuiteError, match=r"t.jsonl: case #1 \(id 'a'\): field 'role'"):
        load_suite(path)


def test_jsonl_with_mapping_and_nested_columns(tmp_path):
    rows = [{"q": {"text": "What is UNAFEI?"}, "gold": "An institute.", "docs": ["reference/unafei.txt"]}]
    path = write(tmp_path, "foreign.jsonl", json.dumps(rows[0]) + "\n")
    suite = load_suite(path, parse_mapping("question=q.text,reference_answer=gold,expected_sources=docs"))
    c = suite.cases[0]
    assert (c.id, c.question, c.reference_answer) == ("row-1", "What is UNAFEI?", "An institute.")
    assert c.expected_sources == (ExpectedSource("reference/unafei.txt"),)


# ----------------------------------------------------------------------------- CSV
CSV = """Question,Answer,source_file,Facts,Decline,Tags
When did the Nepal programme start?,It started in 2013.,nepal-criminal-justice-reform.pdf,2013|two thousand thirteen;Nepal,,factual;csv
What is the budget?,,,,yes,decline
"""


def test_csv_with_column_mapping(tmp_path):
    path = write(tmp_path, "bench.csv", CSV)
    mapping = parse_mapping(
        "question=Question, reference_answer=Answer, expected_sources=source_file, expected_facts=Facts, should_decline=Decline, tags=Tags"
    )
    suite = load_suite(path, mapping)
    one, two = suite.cases
    assert one.id == "row-1" and one.reference_answer == "It started in 2013."
    assert one.expected_facts == (("2013", "two thousand thirteen"), ("Nepal",))
    assert one.expected_sources == (ExpectedSource("nepal-criminal-justice-reform.pdf"),)
    assert one.tags == ("factual", "csv") and not one.should_decline
    assert two.should_decline and two.reference_answer is None
    assert suite.format == "csv"


def test_csv_mapping_errors(tmp_path):
    path = write(tmp_path, "bench.csv", CSV)
    with pytest.raises(SuiteError, match=r"column 'Query' named in --map is not in the file"):
        load_suite(path, parse_mapping("question=Query"))
    with pytest.raises(SuiteError, match=r"no 'question' column; give a column mapping"):
        load_suite(path)
    with pytest.raises(SuiteError, match=r"--map: unknown field 'questoin' \(did you mean 'question'\?\)"):
        parse_mapping("questoin=Question")
    with pytest.raises(SuiteError, match=r"--map: 'question' is not FIELD=COLUMN"):
        parse_mapping("question")
    bad = write(tmp_path, "bad.csv", "Question,Decline\nHello?,perhaps\n")
    with pytest.raises(SuiteError, match=r"bad.csv: case #1 \(id 'row-1'\): field 'should_decline' must be true or false"):
        load_suite(bad, parse_mapping("question=Question,should_decline=Decline"))


def test_csv_with_suite_field_names_needs_no_mapping(tmp_path):
    path = write(tmp_path, "plain.csv", "id,question,expected_facts\nq1,When?,2013\n")
    assert load_suite(path).cases[0].expected_facts == (("2013",),)


# ----------------------------------------------------------------------------- LabelledRagDataset
def test_labelled_rag_dataset(tmp_path):
    data = {
        "examples": [
            {
                "query": "What does UNAFEI stand for?",
                "query_by": {"model_name": "gpt-4", "type": "ai"},
                "reference_contexts": ["UNAFEI stands for the United Nations Asia and Far East Institute ..."],
                "reference_answer": "The United Nations Asia and Far East Institute for the Prevention of Crime and the Treatment of Offenders.",
                "reference_by": {"model_name": "gpt-4", "type": "ai"},
            },
            {"query": "Second?", "reference_answer": "Yes."},
        ]
    }
    suite = load_suite(write(tmp_path, "rag_dataset.json", json.dumps(data)))
    one, two = suite.cases
    assert suite.format == "labelled-rag" and one.id == "example-1"
    assert one.reference_contexts and one.reference_answer.startswith("The United Nations")
    assert one.tags == ("query-by-ai",) and two.question == "Second?"
    with pytest.raises(SuiteError, match=r"case #1: field 'query' is missing"):
        load_suite(write(tmp_path, "bad.json", json.dumps({"examples": [{"reference_answer": "x"}]})))


# ----------------------------------------------------------------------------- CLI
def test_cli_prints_suite_errors_without_traceback(tmp_path, capsys):
    bad = write(tmp_path, "bad.yaml", "cases:\n  - id: a\n    question: hi?\n    role: boss\n    expected_facts: [x]\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "id 'a'" in err and "'role'" in err and "Traceback" not in err
    assert main(["run", str(bad), "--index-dir", str(tmp_path / "nothing")]) == 2
    assert main(["validate", str(ROOT / "evals/suites/smoke.yaml")]) == 0
    assert "cases ok" in capsys.readouterr().out


@pytest.mark.parametrize("command", [[], ["run"], ["compare"], ["calibrate"], ["from-feedback"], ["validate"]])
def test_every_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and "python -m evals" in out


# ----------------------------------------------------------------------------- from-feedback
def _feedback_db(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE feedback (question TEXT, answer TEXT, citations TEXT, rating INTEGER, comment TEXT, role TEXT,"
        " settings_hash TEXT, created_at TEXT)"
    )
    rows = [
        ("What is the Nepal budget?", "It is big [1].", json.dumps([{"doc_id": "overview.md", "page": None}]), -1, "made up", "partner", "h1", "2025-01-01"),
        ("Where was the 2010 seminar?", "Malaysia [1].", "[]", 1, "", "public", "h1", "2025-01-02"),
        ("What is the Nepal budget?", "Still big.", "[]", -1, "again wrong", "partner", "h2", "2025-01-03"),
        ("Who runs it?", "Nobody.", "not json", -1, "", "chief", "h2", "2025-01-04"),
    ]
    con.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def test_from_feedback_drafts_thumbs_down_for_review(tmp_path):
    db = _feedback_db(tmp_path / "feedback.sqlite")
    rows = read_feedback(db)
    assert len(rows) == 4
    cases = draft_cases(rows)
    assert [c["question"] for c in cases] == ["What is the Nepal budget?", "Who runs it?"]
    budget, who = cases
    assert budget["should_decline"] is None and budget["tags"] == ["from-feedback"] and budget["role"] == "partner"
    assert "comment: made up" in budget["notes"] and "again wrong" in budget["notes"] and "cited: overview.md" in budget["notes"]
    assert "role was 'chief'" in who["notes"] and "role" not in who
    text, count = draft_suite_text(rows)
    assert count == 2 and text.startswith("# Draft suite")
    draft = write(tmp_path, "draft.yaml", text)
    with pytest.raises(SuiteError, match=r"field 'should_decline' is not set \(null\)"):
        load_suite(draft)


def test_from_feedback_cli(tmp_path, capsys):
    db = _feedback_db(tmp_path / "feedback.sqlite")
    out = tmp_path / "drafts" / "fb.yaml"
    assert main(["from-feedback", "--db", str(db), "--out", str(out)]) == 0
    assert "from-feedback" in out.read_text() and "wrote 2 draft case(s)" in capsys.readouterr().err
    assert main(["from-feedback", "--db", str(tmp_path / "missing.sqlite")]) == 2
    assert "no feedback database" in capsys.readouterr().err


def test_from_feedback_reads_the_app_store(tmp_path):
    feedback = pytest.importorskip("assistant.web.feedback")
    store = feedback.FeedbackStore(tmp_path / "fb.sqlite")
    store.add("Is there a fee?", "Yes [1].", [{"doc_id": "overview.md", "page": 2}], rating=-1, comment="no fee is stated", role="public")
    store.add("Where?", "Malaysia.", [], rating=1)
    cases = draft_cases(read_feedback(tmp_path / "fb.sqlite"))
    assert len(cases) == 1 and "cited: overview.md p.2" in cases[0]["notes"] and "no fee is stated" in cases[0]["notes"]
