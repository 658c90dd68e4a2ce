"""Eval suites: the case format, its validation, and importers for other benchmark formats.

A suite is YAML (or JSON) with a top-level ``cases:`` list, or JSONL with one case
per line. Each case::

    id: nepal-start                      # unique within the run
    question: When did the Nepal programme begin?
    # or, for a conversation (the last turn is evaluated, earlier ones are history):
    turns: ["When did the Nepal programme begin?", "What about Viet Nam?"]
    reference_answer: It began in 2013.  # optional: token F1 / ROUGE-L
    expected_facts:                      # each fact: one string or a list of accepted alternatives
      - ["2013"]
    expected_sources:                    # doc ids, bare file names, or {doc: ..., page: 2}
      - programmes/nepal-criminal-justice-reform.pdf
    should_decline: false                # default false
    role: partner                        # public (default) | partner | staff | admin
    filters: {country: Nepal}            # doc_type, programme, country, region, year
    tags: [factual]
    forbidden_sources: [internal/]       # doc ids, file names or folder prefixes ending in "/"
    notes: free text, never scored

A suite may also carry ``name``, ``description``, ``defaults`` (field values given
to every case that does not set them) and ``fail_under`` (metric thresholds the
runner applies when the command line gives none for that metric).

Importers turn CSV or foreign JSONL rows into cases with a column mapping
(``question=Question,reference_answer=Answer,expected_sources=source_file``), and
read llama-index ``LabelledRagDataset`` JSON files.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.access import ROLES  # the one access model

FILTER_KEYS = ("doc_type", "programme", "country", "region", "year")
CASE_FIELDS = (
    "id",
    "question",
    "turns",
    "reference_answer",
    "expected_facts",
    "expected_sources",
    "should_decline",
    "role",
    "filters",
    "tags",
    "forbidden_sources",
    "notes",
    "reference_contexts",
)
SUITE_FIELDS = ("name", "description", "cases", "defaults", "fail_under")
# Fields a CSV/JSONL column can be mapped to.
MAPPABLE = tuple(f for f in CASE_FIELDS)
LIST_SEP = ";"  # between items of a list cell (facts, sources, tags, turns)
ALT_SEP = "|"  # between accepted alternatives of one fact


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file, the case and the field."""


@dataclass(frozen=True)
class ExpectedSource:
    """A document the answer should draw on; ``doc`` is a doc id, a bare file name or a folder prefix."""

    doc: str
    page: int | None = None

    def matches_doc(self, doc_id: str) -> bool:
        return source_matches(self.doc, doc_id)

    def matches(self, doc_id: str, page: int | None) -> bool:
        return self.matches_doc(doc_id) and (self.page is None or self.page == page)

    def to_data(self) -> Any:
        return self.doc if self.page is None else {"doc": self.doc, "page": self.page}


def source_matches(pattern: str, doc_id: str) -> bool:
    """``pattern`` names ``doc_id``: the same id, its file name, or a folder prefix ending in ``/``."""
    if not pattern or not doc_id:
        return False
    if pattern == doc_id:
        return True
    if pattern.endswith("/"):
        return doc_id.startswith(pattern)
    return "/" not in pattern and doc_id.rsplit("/", 1)[-1] == pattern


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    turns: tuple[str, ...] = ()
    reference_answer: str | None = None
    expected_facts: tuple[tuple[str, ...], ...] = ()
    expected_sources: tuple[ExpectedSource, ...] = ()
    should_decline: bool = False
    role: str = "public"
    filters: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    forbidden_sources: tuple[str, ...] = ()
    notes: str = ""
    reference_contexts: tuple[str, ...] = ()
    suite: str = ""
    index: int = 0

    @property
    def history(self) -> list[dict[str, str]]:
        """Earlier turns as the assistant's ``history`` argument (user messages only)."""
        return [{"role": "user", "content": t} for t in self.turns[:-1]]

    @property
    def answerable(self) -> bool:
        return not self.should_decline

    def to_data(self) -> dict[str, Any]:
        """The case as suite YAML/JSON (only the fields that are set)."""
        data: dict[str, Any] = {"id": self.id}
        if len(self.turns) > 1:
            data["turns"] = list(self.turns)
        else:
            data["question"] = self.question
        if self.reference_answer is not None:
            data["reference_answer"] = self.reference_answer
        if self.expected_facts:
            data["expected_facts"] = [list(f) for f in self.expected_facts]
        if self.expected_sources:
            data["expected_sources"] = [s.to_data() for s in self.expected_sources]
        data["should_decline"] = self.should_decline
        if self.role != "public":
            data["role"] = self.role
        if self.filters:
            data["filters"] = dict(self.filters)
        if self.tags:
            data["tags"] = list(self.tags)
        if self.forbidden_sources:
            data["forbidden_sources"] = list(self.forbidden_sources)
        if self.reference_contexts:
            data["reference_contexts"] = list(self.reference_contexts)
        if self.notes:
            data["notes"] = self.notes
        return data


@dataclass
class Suite:
    path: str
    name: str
    sha256: str
    cases: list[Case]
    description: str = ""
    fail_under: dict[str, float] = field(default_factory=dict)
    format: str = "yaml"


# ----------------------------------------------------------------------------- validation
def _where(suite: str, index: int, case_id: Any = None) -> str:
    label = f"{suite}: case #{index + 1}"
    if case_id not in (None, ""):
        label += f" (id {str(case_id)!r})"
    return label


def _suggest(name: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text(value: Any, where: str, name: str, *, allow_numbers: bool = True) -> str:
    if isinstance(value, bool) or value is None:
        raise SuiteError(f"{where}: field '{name}' must be text, not {value!r}")
    if isinstance(value, int | float) and allow_numbers:
        value = str(value)
    if not isinstance(value, str):
        raise SuiteError(f"{where}: field '{name}' must be text, not a {type(value).__name__}")
    value = value.strip()
    if not value:
        raise SuiteError(f"{where}: field '{name}' is empty")
    return value


def _str_list(value: Any, where: str, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple):
        raise SuiteError(f"{where}: field '{name}' must be a list, not a {type(value).__name__}")
    return [_text(v, where, f"{name}[{i}]") for i, v in enumerate(value)]


def _facts(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise SuiteError(
            f"{where}: field 'expected_facts' must be a list of facts (each a string or a list of alternatives)"
        )
    facts = []
    for i, fact in enumerate(value):
        if isinstance(fact, list | tuple):
            alternatives = [_text(a, where, f"expected_facts[{i}][{j}]") for j, a in enumerate(fact)]
            if not alternatives:
                raise SuiteError(f"{where}: field 'expected_facts[{i}]' is an empty list of alternatives")
        else:
            alternatives = [_text(fact, where, f"expected_facts[{i}]")]
        facts.append(tuple(dict.fromkeys(alternatives)))
    return tuple(facts)


def _sources(value: Any, where: str, name: str = "expected_sources") -> tuple[ExpectedSource, ...]:
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise SuiteError(f"{where}: field '{name}' must be a list of doc ids or {{doc, page}} mappings")
    out: list[ExpectedSource] = []
    for i, item in enumerate(value):
        label = f"{name}[{i}]"
        if isinstance(item, dict):
            unknown = set(item) - {"doc", "page"}
            if unknown:
                raise SuiteError(f"{where}: field '{label}' has unknown key(s) {', '.join(sorted(unknown))}; use doc and page")
            if "doc" not in item:
                raise SuiteError(f"{where}: field '{label}' needs a 'doc'")
            doc = _text(item["doc"], where, f"{label}.doc", allow_numbers=False)
            page = item.get("page")
            if page is not None:
                if isinstance(page, bool) or not isinstance(page, int) or page < 1:
                    raise SuiteError(f"{where}: field '{label}.page' must be a page number (1 or more), not {page!r}")
        else:
            doc, page = _text(item, where, label, allow_numbers=False), None
        doc = doc.replace("\\", "/")
        doc = doc[2:] if doc.startswith("./") else doc
        source = ExpectedSource(doc, page)
        if source not in out:  # a duplicate entry counts once
            out.append(source)
    return tuple(out)


def _bool(value: Any, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None and name == "should_decline":
        raise SuiteError(
            f"{where}: field 'should_decline' is not set (null): this case was drafted for review "
            "(for example by 'from-feedback'); set it to true or false"
        )
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "n", ""):
        return False
    raise SuiteError(f"{where}: field '{name}' must be true or false, not {value!r}")


def _filters(value: Any, where: str) -> dict[str, Any]:
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        raise SuiteError(f"{where}: field 'filters' must be a mapping such as {{country: Nepal}}")
    unknown = [k for k in value if k not in FILTER_KEYS]
    if unknown:
        raise SuiteError(
            f"{where}: field 'filters' has unknown key {unknown[0]!r}{_suggest(str(unknown[0]), FILTER_KEYS)}; "
            f"allowed: {', '.join(FILTER_KEYS)}"
        )
    out: dict[str, Any] = {}
    for key, val in value.items():
        if val in (None, ""):
            continue
        if key == "year":
            try:
                out[key] = int(val)
            except (TypeError, ValueError):
                raise SuiteError(f"{where}: field 'filters.year' must be a year, not {val!r}") from None
        else:
            out[key] = _text(val, where, f"filters.{key}")
    return out


def validate_case(raw: Any, index: int, suite: str = "suite", defaults: dict[str, Any] | None = None) -> Case:
    """One raw case (a mapping) as a :class:`Case`; :class:`SuiteError` names the case and field."""
    if not isinstance(raw, dict):
        raise SuiteError(f"{_where(suite, index)}: a case must be a mapping of fields, not a {type(raw).__name__}")
    where = _where(suite, index, raw.get("id"))
    unknown = [k for k in raw if k not in CASE_FIELDS]
    if unknown:
        name = str(unknown[0])
        raise SuiteError(f"{where}: unknown field {name!r}{_suggest(name, CASE_FIELDS)}")
    data = {**(defaults or {}), **raw}
    if "id" not in raw or raw["id"] in (None, ""):
        raise SuiteError(f"{where}: field 'id' is missing")
    case_id = _text(raw["id"], where, "id")

    has_q, has_turns = data.get("question") not in (None, ""), data.get("turns") not in (None, [], ())
    if has_q and has_turns:
        raise SuiteError(f"{where}: give either 'question' or 'turns', not both")
    if not has_q and not has_turns:
        raise SuiteError(f"{where}: field 'question' is missing (or give 'turns' for a conversation)")
    if has_turns:
        if not isinstance(data["turns"], list | tuple):
            raise SuiteError(f"{where}: field 'turns' must be a list of user questions")
        turns = tuple(_text(t, where, f"turns[{i}]") for i, t in enumerate(data["turns"]))
    else:
        turns = (_text(data["question"], where, "question"),)

    role = data.get("role", "public") or "public"
    if role not in ROLES:
        raise SuiteError(f"{where}: field 'role' must be one of {', '.join(ROLES)}, not {role!r}")

    should_decline = _bool(data.get("should_decline", False), where, "should_decline")
    facts = _facts(data.get("expected_facts"), where)
    sources = _sources(data.get("expected_sources"), where)
    reference = data.get("reference_answer")
    reference = _text(reference, where, "reference_answer") if reference not in (None, "") else None
    contexts = tuple(_str_list(data.get("reference_contexts"), where, "reference_contexts"))
    if should_decline and facts:
        raise SuiteError(f"{where}: field 'expected_facts' contradicts should_decline: true (a declined answer states no facts)")
    if not should_decline and not (facts or sources or reference or contexts):
        raise SuiteError(
            f"{where}: nothing to check: an answerable case needs expected_facts, expected_sources, "
            "reference_answer or reference_contexts (or should_decline: true)"
        )
    forbidden = tuple(dict.fromkeys(s.doc for s in _sources(data.get("forbidden_sources"), where, "forbidden_sources")))
    for s in sources:
        if any(source_matches(f, s.doc) or f == s.doc for f in forbidden):
            raise SuiteError(f"{where}: field 'forbidden_sources' forbids the expected source {s.doc!r}")
    notes = data.get("notes") or ""
    if not isinstance(notes, str):
        notes = json.dumps(notes, ensure_ascii=False) if not isinstance(notes, int | float) else str(notes)
    return Case(
        id=case_id,
        question=turns[-1],
        turns=turns,
        reference_answer=reference,
        expected_facts=facts,
        expected_sources=sources,
        should_decline=should_decline,
        role=role,
        filters=_filters(data.get("filters"), where),
        tags=tuple(dict.fromkeys(_str_list(data.get("tags"), where, "tags"))),
        forbidden_sources=forbidden,
        notes=notes,
        reference_contexts=contexts,
        suite=suite,
        index=index,
    )


def validate_cases(raws: list[Any], suite: str, defaults: dict[str, Any] | None = None) -> list[Case]:
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raws):
        case = validate_case(raw, i, suite, defaults)
        if case.id in seen:
            raise SuiteError(f"{_where(suite, i, case.id)}: duplicate id {case.id!r} (also case #{seen[case.id] + 1})")
        seen[case.id] = i
        cases.append(case)
    if not cases:
        raise SuiteError(f"{suite}: the suite has no cases")
    return cases


def _fail_under(value: Any, suite: str) -> dict[str, float]:
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        raise SuiteError(f"{suite}: 'fail_under' must be a mapping of metric: minimum")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SuiteError(f"{suite}: 'fail_under.{k}' must be a number, not {v!r}")
        out[str(k)] = float(v)
    return out


def suite_from_data(data: Any, path: str, sha: str = "", fmt: str = "yaml") -> Suite:
    """A suite from parsed YAML/JSON (a mapping with ``cases:``, or a LabelledRagDataset)."""
    if isinstance(data, dict) and "examples" in data and "cases" not in data:
        return from_labelled_rag(data, path, sha)
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite must be a mapping with a top-level 'cases:' list")
    unknown = [k for k in data if k not in SUITE_FIELDS]
    if unknown:
        raise SuiteError(f"{path}: unknown top-level key {unknown[0]!r}{_suggest(str(unknown[0]), SUITE_FIELDS)}")
    if "cases" not in data:
        raise SuiteError(f"{path}: no top-level 'cases:' list")
    if not isinstance(data["cases"], list):
        raise SuiteError(f"{path}: 'cases' must be a list of cases")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise SuiteError(f"{path}: 'defaults' must be a mapping of case fields")
    bad = [k for k in defaults if k not in CASE_FIELDS or k == "id"]
    if bad:
        raise SuiteError(f"{path}: 'defaults' has unknown or non-default field {bad[0]!r}")
    name = str(data.get("name") or Path(path).stem)
    return Suite(
        path=path,
        name=name,
        sha256=sha,
        cases=validate_cases(data["cases"], Path(path).name, defaults),
        description=str(data.get("description") or ""),
        fail_under=_fail_under(data.get("fail_under"), path),
        format=fmt,
    )


# ----------------------------------------------------------------------------- importers
def parse_mapping(text: str | None) -> dict[str, str]:
    """``question=Question,reference_answer=Answer`` -> {field: column}; errors name the bad part."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" not in part:
            raise SuiteError(f"--map: {part!r} is not FIELD=COLUMN")
        key, column = (x.strip() for x in part.split("=", 1))
        if key not in MAPPABLE:
            raise SuiteError(f"--map: unknown field {key!r}{_suggest(key, MAPPABLE)}; fields: {', '.join(MAPPABLE)}")
        if not column:
            raise SuiteError(f"--map: no column given for {key!r}")
        out[key] = column
    return out


def _split(cell: str, sep: str) -> list[str]:
    return [x.strip() for x in cell.split(sep) if x.strip()]


def _cell_value(field_name: str, value: Any) -> Any:
    """A CSV cell (text) or foreign JSON value as the case field expects it."""
    if value is None:
        return None
    if field_name in ("expected_sources", "tags", "turns", "forbidden_sources", "reference_contexts"):
        if isinstance(value, list):
            return value
        text = str(value).strip()
        if not text:
            return None
        if field_name == "reference_contexts":
            return [text]
        return _split(text, LIST_SEP)
    if field_name == "expected_facts":
        if isinstance(value, list):
            return value
        text = str(value).strip()
        return [_split(f, ALT_SEP) for f in _split(text, LIST_SEP)] if text else None
    if field_name == "filters":
        if isinstance(value, dict):
            return value
        text = str(value).strip()
        if not text:
            return None
        try:
            return dict(p.split("=", 1) for p in _split(text, LIST_SEP))
        except ValueError:
            return text  # validation reports it
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _lookup(row: dict[str, Any], column: str) -> Any:
    """A column of a row; dotted names reach into nested JSON objects."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def rows_to_cases(rows: list[dict[str, Any]], mapping: dict[str, str], suite: str, columns: list[str] | None) -> list[dict]:
    """Raw case mappings from foreign rows; with no mapping, columns must be named like case fields."""
    if not mapping:
        known = [c for c in (columns or []) if c in CASE_FIELDS]
        if "question" not in known and "turns" not in known:
            raise SuiteError(
                f"{suite}: no 'question' column; give a column mapping such as "
                "--map question=Question,reference_answer=Answer,expected_sources=source_file"
            )
        mapping = {c: c for c in known}
    if columns is not None:
        missing = [col for col in mapping.values() if col not in columns]
        if missing:
            raise SuiteError(f"{suite}: column {missing[0]!r} named in --map is not in the file (columns: {', '.join(columns)})")
    raws = []
    for i, row in enumerate(rows):
        raw: dict[str, Any] = {}
        for field_name, column in mapping.items():
            value = _cell_value(field_name, _lookup(row, column))
            if value is not None:
                raw[field_name] = value
        raw.setdefault("id", f"row-{i + 1}")
        if raw.get("role") is None:
            raw.pop("role", None)
        raws.append(raw)
    return raws


def from_csv(path: Path, mapping: dict[str, str], sha: str = "") -> Suite:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            columns = list(reader.fieldnames or [])
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: not a readable CSV file: {exc}") from None
    if not columns:
        raise SuiteError(f"{path}: the CSV file has no header row")
    raws = rows_to_cases(rows, mapping, path.name, columns)
    return Suite(str(path), path.stem, sha, validate_cases(raws, path.name), format="csv")


def _read_jsonl(path: Path, text: str) -> list[Any]:
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path}: line {n} is not valid JSON: {exc.msg} (column {exc.colno})") from None
    return rows


def from_jsonl(path: Path, text: str, mapping: dict[str, str], sha: str = "") -> Suite:
    rows = _read_jsonl(path, text)
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise SuiteError(f"{path}: line {n} must hold one JSON object (a case)")
    if mapping:
        raws = rows_to_cases(rows, mapping, path.name, None)
    else:
        raws = rows
    return Suite(str(path), path.stem, sha, validate_cases(raws, path.name), format="jsonl")


def from_labelled_rag(data: dict[str, Any], path: str, sha: str = "") -> Suite:
    """llama-index ``LabelledRagDataset`` JSON: examples of query, reference_answer, reference_contexts."""
    examples = data.get("examples")
    if not isinstance(examples, list):
        raise SuiteError(f"{path}: 'examples' must be a list (LabelledRagDataset format)")
    raws = []
    for i, ex in enumerate(examples):
        if not isinstance(ex, dict):
            raise SuiteError(f"{_where(Path(path).name, i)}: an example must be a mapping")
        if not ex.get("query"):
            raise SuiteError(f"{_where(Path(path).name, i)}: field 'query' is missing")
        raw: dict[str, Any] = {"id": str(ex.get("id") or f"example-{i + 1}"), "question": ex["query"]}
        if ex.get("reference_answer"):
            raw["reference_answer"] = ex["reference_answer"]
        contexts = ex.get("reference_contexts") or []
        if contexts:
            raw["reference_contexts"] = [c for c in contexts if isinstance(c, str) and c.strip()]
        by = ex.get("query_by") or {}
        if isinstance(by, dict) and by.get("type"):
            raw["tags"] = [f"query-by-{by['type']}"]
        raws.append(raw)
    return Suite(path, Path(path).stem, sha, validate_cases(raws, Path(path).name), format="labelled-rag")


# ----------------------------------------------------------------------------- loading
def load_suite(path: str | Path, mapping: dict[str, str] | None = None) -> Suite:
    """Read and validate one suite file (YAML, JSON, JSONL or CSV)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SuiteError(f"suite file not found: {path}")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SuiteError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return from_csv(path, mapping or {}, sha)
    if suffix == ".jsonl":
        return from_jsonl(path, text, mapping or {}, sha)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        return suite_from_data(data, str(path), sha, "json")
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise SuiteError(f"{path}: not valid YAML{where}: {problem}") from None
        if data is None:
            raise SuiteError(f"{path}: the file is empty")
        return suite_from_data(data, str(path), sha, "yaml")
    raise SuiteError(f"{path}: unknown suite format {suffix!r}; use .yaml, .yml, .json, .jsonl or .csv")


def load_suites(paths: list[str | Path], mapping: dict[str, str] | None = None) -> list[Suite]:
    """Several suites for one run; a case id used in two of them is an error."""
    suites = [load_suite(p, mapping) for p in paths]
    seen: dict[str, str] = {}
    for suite in suites:
        for case in suite.cases:
            if case.id in seen:
                raise SuiteError(f"{suite.path}: case id {case.id!r} is also used in {seen[case.id]}; ids must be unique in a run")
            seen[case.id] = suite.path
    return suites


def dump_suite(cases: list[dict[str, Any]], header: str = "", name: str = "", description: str = "") -> str:
    """Suite YAML text for raw case mappings (used for drafts)."""
    import yaml

    data: dict[str, Any] = {}
    if name:
        data["name"] = name
    if description:
        data["description"] = description
    data["cases"] = cases
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return (header + "\n" if header else "") + body
