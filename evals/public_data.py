"""The public development sets (``../shared/dev-data``) turned into eval suites and document folders.

Three sets (see the README in the data folder):

- ``sec-10q``: PDFs in ``docs/`` and ``questions.csv``, read with the suite importer's CSV
  mapping (``question=Question, reference_answer=Answer, expected_sources=Source Docs,
  tags=Question Type``); the ``Source Docs`` glob (``*2023 Q1 AMZN*``) is expanded to the
  file names it matches, and each case is tagged ``single-doc`` or ``multi-doc``.
- ``squad2`` and ``viquad2``: a CSV whose ``paragraph(s)`` cell is a Python literal list of
  ``{title, paragraph_text}``. Every distinct passage becomes one Markdown file (title heading
  plus text, with a ``.meta.yaml`` sidecar naming its title) in a cache folder; every question
  is asked against the whole folder. ``No answer`` or an empty answer means should_decline; an
  answerable case expects its reference answer as a fact (see ``CORRECT_DEFINITION``) and its
  passage as the source.

Conversion is deterministic (same input, same files, same case ids), so the eval index cache
(keyed by the folder's bytes) is reused from run to run.
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import fnmatch
import hashlib
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from evals.suite import Case, ExpectedSource, Suite, SuiteError, from_csv, load_suite

DEFAULT_DATA = Path("..") / "shared" / "dev-data"  # relative to the repository root, as the data README says
SEC_MAP = {"question": "Question", "reference_answer": "Answer", "expected_sources": "Source Docs", "tags": "Question Type"}
NO_ANSWER = ("", "no answer")
QUICK = {"sec-10q": 30, "squad2": 120, "viquad2": 60}  # questions per set in --quick (seeded sample)
CORRECT_DEFINITION = (
    "SQuAD/ViQuAD: answered and the reference answer occurs in the answer as whole words (case, punctuation "
    "of the ends and number formatting ignored: evals.metrics.fact_found). 10-Q: answered and the right "
    "filing cited (the reference answers are long prose, so token F1 against them is reported beside it)."
)


@dataclass
class PublicSet:
    """One converted set: its name, the folder of documents to index, and its suite."""

    name: str
    docs: Path
    suite: Suite
    language: str = "en"


def _slug(text: str, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-") or "passage"


def _passage_text(raw: object) -> str:
    """``paragraph_text`` is sometimes itself a stringified list of one string; unwrap it."""
    text = raw if isinstance(raw, str) else str(raw)
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        try:
            value = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "\n\n".join(v.strip() for v in value)
    return stripped


def _paragraphs(cell: str, where: str) -> list[dict]:
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError) as exc:
        raise SuiteError(f"{where}: the paragraph cell is not a Python literal list ({exc})") from None
    if not isinstance(value, list) or not all(isinstance(v, dict) and "paragraph_text" in v for v in value):
        raise SuiteError(f"{where}: the paragraph cell must be a list of {{title, paragraph_text}}")
    return value


def convert_squad_like(csv_path: Path, out: Path, name: str, language: str = "en") -> PublicSet:
    """Write each distinct passage as ``<out>/docs/<slug>-<hash>.md`` and return the set with its suite."""
    if not csv_path.is_file():
        raise SuiteError(f"{name}: no file {csv_path}")
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise SuiteError(f"{csv_path}: no rows")
    column = next((c for c in ("paragraphs", "paragraph") if c in rows[0]), None)
    if column is None or "question" not in rows[0] or "answer" not in rows[0]:
        raise SuiteError(f"{csv_path}: expected columns question, answer and paragraph(s); found {', '.join(rows[0])}")
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    cases = []
    for i, row in enumerate(rows, start=1):
        where = f"{csv_path.name} row {i}"
        sources = []
        for para in _paragraphs(row[column], where):
            title = str(para.get("title") or "Untitled").strip()
            text = _passage_text(para["paragraph_text"])
            key = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:10]
            file_name = f"{_slug(title)}-{key}.md"
            if file_name not in written:
                body = f"# {title}\n\n{text}\n"
                meta = json.dumps({"title": title, "audience": "public"}, ensure_ascii=False) + "\n"
                for target, content in ((docs / file_name, body), (docs / f"{file_name}.meta.yaml", meta)):
                    if not target.is_file() or target.read_text(encoding="utf-8") != content:
                        target.write_text(content, encoding="utf-8")
                written[file_name] = title
            sources.append(file_name)
        answer = (row["answer"] or "").strip()
        if len(answer) > 1 and answer[0] == answer[-1] and answer[0] in "'\"":
            answer = answer[1:-1].strip()  # ViQuAD quotes its answers
        decline = answer.lower() in NO_ANSWER
        raw = {"id": f"{name}-{i:04d}", "question": row["question"].strip(), "should_decline": decline,
               "tags": [name, "unanswerable" if decline else "answerable"], "notes": f"passage: {sources[0]}"}
        if not decline:
            raw["expected_facts"] = [[answer]]
            raw["reference_answer"] = answer
            raw["expected_sources"] = sources
        cases.append(raw)
    suite_path = out / f"{name}.jsonl"
    text = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    if not suite_path.is_file() or suite_path.read_text(encoding="utf-8") != text:
        suite_path.write_text(text, encoding="utf-8")
    return PublicSet(name, docs, load_suite(suite_path), language)


def convert_sec(folder: Path) -> PublicSet:
    """The 10-Q questions through the CSV importer; globs expanded to file names, tags normalised."""
    csv_path, docs = folder / "questions.csv", folder / "docs"
    if not csv_path.is_file() or not docs.is_dir():
        raise SuiteError(f"sec-10q: expected {csv_path} and {docs}/")
    suite = from_csv(csv_path, SEC_MAP)
    names = sorted(p.name for p in docs.iterdir() if p.suffix.lower() == ".pdf")
    cases = []
    for case in suite.cases:
        found: list[str] = []
        for source in case.expected_sources:
            matched = [n for n in names if fnmatch.fnmatch(n, source.doc)] if any(ch in source.doc for ch in "*?[") else [source.doc]
            found.extend(m for m in matched if m not in found)
        if not found:
            raise SuiteError(f"sec-10q case {case.id}: Source Docs {[s.doc for s in case.expected_sources]} match no PDF in {docs}")
        kind = "multi-doc" if any("multi" in t.lower() for t in case.tags) else "single-doc"
        cases.append(dataclasses.replace(
            case, id=f"sec-10q-{case.index + 1:04d}" if case.index is not None else case.id,
            expected_sources=tuple(ExpectedSource(n) for n in found), tags=("sec-10q", kind, *case.tags),
        ))
    return PublicSet("sec-10q", docs, dataclasses.replace(suite, name="sec-10q", cases=cases))


def convert_all(data: Path, cache: Path, only: list[str] | None = None) -> list[PublicSet]:
    """Every set found under ``data`` (or those in ``only``), converted into ``cache``."""
    if not data.is_dir():
        raise SuiteError(f"--data: no such folder: {data} (the public development sets; see its README)")
    sets = []
    wanted = only or ["sec-10q", "squad2", "viquad2"]
    for name in wanted:
        if name == "sec-10q":
            sets.append(convert_sec(data / "sec-10q"))
        elif name == "squad2":
            sets.append(convert_squad_like(data / "squad2" / "squad2-1000.csv", cache / "squad2", "squad2"))
        elif name == "viquad2":
            sets.append(convert_squad_like(data / "viquad2" / "viquad2-1000.csv", cache / "viquad2", "viquad2", "vi"))
        else:
            raise SuiteError(f"unknown public set {name!r}; sets: sec-10q, squad2, viquad2")
    return sets


def sample_cases(cases: list[Case], n: int, seed: int = 13) -> list[Case]:
    """A seeded sample of ``n`` cases in their original order (balanced answerable/unanswerable if both exist)."""
    if n >= len(cases):
        return list(cases)
    rng = random.Random(seed)
    pos = [c for c in cases if not c.should_decline]
    neg = [c for c in cases if c.should_decline]
    if pos and neg:
        take_neg = min(len(neg), max(1, round(n * len(neg) / len(cases))))
        chosen = set(id(c) for c in rng.sample(neg, take_neg)) | set(id(c) for c in rng.sample(pos, min(len(pos), n - take_neg)))
    else:
        chosen = set(id(c) for c in rng.sample(cases, n))
    return [c for c in cases if id(c) in chosen]


def split_ids(cases: list[Case], held_out: float = 0.4, seed: int = 13) -> tuple[set[str], set[str]]:
    """(fit ids, held-out ids): a seeded split by passage/document, so no passage is in both halves."""
    groups: dict[str, list[str]] = {}
    for c in cases:
        key = c.notes if c.notes.startswith("passage:") else (c.expected_sources[0].doc if c.expected_sources else c.question)
        groups.setdefault(key, []).append(c.id)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    fit, held = set(), set()
    total = len(cases)
    for key in keys:
        (held if len(held) < held_out * total else fit).update(groups[key])
    return fit, held
