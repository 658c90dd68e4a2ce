"""Run suites through the :class:`~assistant.service.Assistant` (the app's own code path) and score them.

For each case: ``Assistant.ask`` with the earlier turns as history and the case's
role and filters, then ``Assistant.retrieve`` on the query the answer actually
searched (``Answer.searched_for``) for the retrieval metrics. The audit log is
off during evals. ``--docs DIR`` evaluates against another document set: it is
indexed once into a cache folder keyed by a hash of DIR's files and the index
settings, and reused while both are unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.metrics import DEFINITIONS, LATENCY_DEFINITION, RATIO_METRICS, metric_value, score_case, summarize, tokens
from evals.suite import Case, ExpectedSource, SuiteError

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = Path(__file__).resolve().parent / "runs"
SCHEMA = 1
DOCS_INDEX_SCHEMA = "eval-docs-v1"
CONTEXT_MATCH = 0.7  # share of the shorter text's words a reference context and a chunk must share


class EvalError(RuntimeError):
    """A run that cannot go ahead (no index, empty index, bad options); the message says what to do."""


# ----------------------------------------------------------------------------- settings and index
def make_settings(
    config: str | None = None,
    index_dir: Path | None = None,
    backend: str | None = None,
    chroma_host: str | None = None,
    chroma_port: int | None = None,
):
    """The app's settings (config file < env < flags) with the audit log turned off."""
    from assistant.settings import load_settings

    settings = load_settings(config, index_dir=index_dir, backend=backend, chroma_host=chroma_host, chroma_port=chroma_port)
    return settings.model_copy(update={"audit_log": None})


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "programme-assistant" / "eval-indexes"


def _walk(folder: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        files.extend(Path(dirpath) / n for n in sorted(filenames) if not n.startswith("."))
    return files


def docs_key(folder: Path, settings, audience: str = "public") -> str:
    """Hash of every file under ``folder`` (names and bytes) and of the settings that shape the index."""
    digest = hashlib.sha256()
    for file in _walk(folder):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    digest.update(json.dumps([settings.index_settings_hash, settings.embed_model, audience, DOCS_INDEX_SCHEMA]).encode())
    return digest.hexdigest()[:16]


def docs_index(folder: Path, settings, cache_dir: Path, log: Callable[[str], None] = print) -> tuple[Any, dict[str, Any]]:
    """Settings pointing at a (cached) index of ``folder``; built on first use.

    Documents without catalogue or sidecar metadata are indexed as ``public`` here,
    so a plain folder of files is visible to every role.
    """
    if not folder.is_dir():
        raise EvalError(f"--docs: no such folder: {folder}")
    if not _walk(folder):
        raise EvalError(f"--docs: the folder {folder} holds no files")
    key = docs_key(folder, settings)
    target = cache_dir / f"{folder.resolve().name}-{key}"
    doc_settings = settings.model_copy(update={"index_dir": target, "chroma_host": None, "default_audience": "public"})
    marker = target / ".eval-index.json"
    from ingest.loaders import PARSER_VERSION

    current = marker.is_file() and _marker_parser(marker) == PARSER_VERSION and _companion_built(doc_settings) \
        and _keywords_current(doc_settings)
    info = {"docs": str(folder), "key": key, "index_dir": str(target), "reused": current}
    if current:
        log(f"using the cached index of {folder} ({target})")
        return doc_settings, info
    from ingest.pipeline import sync

    if marker.is_file() and _marker_parser(marker) == PARSER_VERSION:
        log(f"bringing the cached index of {folder} in {target} up to date (multilingual index, keyword index)")
    elif marker.is_file():  # the loaders changed since: an incremental sync re-reads what they read differently
        log(f"updating the cached index of {folder} in {target} (the document loaders changed)")
    else:
        log(f"indexing {folder} into {target} (first use; later runs reuse it while the files are unchanged)")
    report = sync([folder], doc_settings)
    data = report.to_dict()
    if report.status == "failed" or not (data["added"] + data["updated"] + data["unchanged"]):
        reasons = "; ".join(f"{f['path']}: {f['reason']}" for f in data["failures"][:5])
        raise EvalError(f"--docs: no document in {folder} could be indexed ({reasons or 'no readable files'})")
    for failure in data["failures"]:
        log(f"warning: skipped {failure['path']}: {failure['reason']}")
    marker.write_text(json.dumps({"key": key, "docs": str(folder), "parser": PARSER_VERSION, "report": data}, indent=1), encoding="utf-8")
    return doc_settings, info


def _companion_built(settings) -> bool:
    """Whether the multilingual index beside the main one (Settings.companion) is there, when one is wanted (a
    cache made before it was, or with it turned off, is brought up to date by an incremental sync)."""
    from assistant.store import Manifest

    companion = settings.companion
    return companion is None or bool(Manifest.load(companion).docs)


def _keywords_current(settings) -> bool:
    """Whether the keyword indexes (of the main index and the one beside it) are of this version's tokens."""
    from ingest.pipeline import keyword_current

    return all(keyword_current(s) for s in (settings, settings.companion) if s is not None)


def _marker_parser(marker: Path) -> int | None:
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("parser")
    except (OSError, ValueError, AttributeError):
        return None


def open_assistant(settings, **kwargs):
    from assistant.service import Assistant

    assistant = Assistant(settings, **kwargs)
    if not assistant.manifest.docs:
        raise EvalError(
            f"the index in {settings.index_dir} is empty; build it first (python -m ingest corpus) "
            "or pass --index-dir / --docs"
        )
    return assistant


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


# ----------------------------------------------------------------------------- reference contexts
def resolve_contexts(cases: Sequence[Case], assistant) -> dict[str, tuple[ExpectedSource, ...]]:
    """Expected sources for cases that give reference *texts* (LabelledRagDataset) instead of doc ids.

    A context names the indexed chunk it overlaps most (at least ``CONTEXT_MATCH``
    of the shorter text's words); contexts that match nothing are left out.
    """
    need = [c for c in cases if c.reference_contexts and not c.expected_sources]
    if not need:
        return {}
    chunks = []
    for _cid, text, meta in assistant.store.iter_all():
        words = set(tokens(text or ""))
        if words:
            chunks.append((meta.get("doc_id", ""), meta.get("page") or None, words))
    out: dict[str, tuple[ExpectedSource, ...]] = {}
    for case in need:
        found: list[ExpectedSource] = []
        for context in case.reference_contexts:
            words = set(tokens(context))
            if len(words) < 3:
                continue
            best, best_score = None, 0.0
            for doc_id, page, chunk_words in chunks:
                score = len(words & chunk_words) / min(len(words), len(chunk_words))
                if score > best_score:
                    best, best_score = (doc_id, page), score
            if best and best_score >= CONTEXT_MATCH:
                source = ExpectedSource(best[0], best[1])
                if source not in found:
                    found.append(source)
        out[case.id] = tuple(found)
    return out


# ----------------------------------------------------------------------------- running
def _citation(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("n", "doc_id", "title", "page", "quote")}


def evaluate_case(
    assistant,
    case: Case,
    k: int,
    audiences: dict[str, str],
    role_override: str | None = None,
    expected: Sequence[ExpectedSource] | None = None,
) -> dict[str, Any]:
    """Ask one case through the assistant, retrieve for its searched query, and score it."""
    from assistant.backends import BackendError

    if role_override:
        case = dataclasses.replace(case, role=role_override)
    answer: dict[str, Any] | None = None
    passages = []
    error = None
    try:
        result = assistant.ask(case.question, history=case.history or None, role=case.role, filters=case.filters or None)
        answer = result.to_dict()
        passages = assistant.retrieve_as_asked(case.question, result.searched_for, case.role, case.filters or None, k)
    except (ValueError, BackendError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    retrieved = [(p.doc_id, p.page) for p in passages]
    scored = score_case(case, answer, retrieved, k, audiences, error, expected)
    answer = answer or {}
    return {
        "id": case.id,
        "suite": case.suite,
        "index": case.index,
        "tags": list(case.tags),
        "role": case.role,
        "filters": dict(case.filters),
        "question": case.question,
        "turns": list(case.turns),
        "searched_for": answer.get("searched_for", ""),
        "rewritten": bool(answer) and answer.get("searched_for") != answer.get("question"),
        "should_decline": case.should_decline,
        "answer": answer.get("answer", ""),
        "citations": [_citation(c) for c in answer.get("citations", [])],
        "closest_sources": [_citation(c) for c in answer.get("closest_sources", [])],
        "sentences": answer.get("sentences", []),
        "retrieved": [
            {"rank": i, "doc_id": p.doc_id, "page": p.page, "title": p.title, "score": p.score}
            for i, p in enumerate(passages, start=1)
        ],
        "reference_answer": case.reference_answer,
        "expected_facts": [list(f) for f in case.expected_facts],
        "expected_sources": [s.to_data() for s in (expected if expected is not None else case.expected_sources)],
        "forbidden_sources": list(case.forbidden_sources),
        "notices": answer.get("notices", []),
        "timings": answer.get("timings", {}),
        "notes": case.notes,
        "error": error,
        **scored,
    }


def run_cases(
    cases: Sequence[Case],
    assistant,
    k: int | None = None,
    role_override: str | None = None,
    progress: bool | None = None,
    label: str = "eval",
) -> list[dict[str, Any]]:
    """Evaluate ``cases`` in order with one assistant; a tqdm bar on stderr when it is a terminal."""
    from tqdm import tqdm

    k = k or assistant.settings.top_k
    audiences = {d.doc_id: d.audience for d in assistant.manifest.docs.values()}
    resolved = resolve_contexts(cases, assistant)
    show = sys.stderr.isatty() if progress is None else progress
    assistant.warm_up()  # load the model and index now, so the first case's timings are not start-up
    results = []
    with tqdm(total=len(cases), desc=label, unit="case", file=sys.stderr, disable=not show, dynamic_ncols=True) as bar:
        for case in cases:
            bar.set_postfix_str(case.id[:30])
            results.append(evaluate_case(assistant, case, k, audiences, role_override, resolved.get(case.id)))
            bar.update(1)
    return results


# ----------------------------------------------------------------------------- gate
def parse_thresholds(items: Sequence[str]) -> dict[str, float]:
    """``["pass_rate=0.8", "fact_recall=0.7"]`` -> {metric: minimum}; unknown metrics are an error."""
    out: dict[str, float] = {}
    for item in items:
        for part in (p.strip() for p in item.split(",")):
            if not part:
                continue
            if "=" not in part:
                raise SuiteError(f"--fail-under: {part!r} is not METRIC=VALUE (for example pass_rate=0.8)")
            name, value = (x.strip() for x in part.split("=", 1))
            check_metric_name(name, "--fail-under")
            try:
                out[name] = float(value)
            except ValueError:
                raise SuiteError(f"--fail-under: {value!r} is not a number (in {part!r})") from None
    return out


def check_metric_name(name: str, where: str) -> None:
    if name not in RATIO_METRICS:
        raise SuiteError(f"{where}: unknown metric {name!r}; metrics: {', '.join(RATIO_METRICS)}")


def check_gate(summary: dict[str, Any], thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """One entry per threshold: metric, min, value, ok (an unmeasured metric fails the gate)."""
    gate = []
    for name, minimum in thresholds.items():
        value = metric_value(summary, name)
        gate.append({"metric": name, "min": minimum, "value": value, "ok": value is not None and value >= minimum - 1e-12})
    return gate


# ----------------------------------------------------------------------------- a whole run
@dataclasses.dataclass
class RunOptions:
    suites: list[str]
    mapping: dict[str, str] = dataclasses.field(default_factory=dict)
    docs: Path | None = None
    index_dir: Path | None = None
    cache_dir: Path | None = None
    backend: str | None = None
    config: str | None = None
    chroma_host: str | None = None
    chroma_port: int | None = None
    out: Path | None = None
    fail_under: dict[str, float] = dataclasses.field(default_factory=dict)
    role_override: str | None = None
    k: int | None = None
    progress: bool | None = None


def _timestamp() -> str:
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def prepare(opts: RunOptions, log: Callable[[str], None]):
    """(suites, settings, docs info) for a run or a calibration."""
    from evals.suite import load_suites

    suites = load_suites(opts.suites, opts.mapping)
    if opts.docs and opts.index_dir:
        raise EvalError("give either --docs (evaluate against another folder) or --index-dir, not both")
    settings = make_settings(opts.config, opts.index_dir, opts.backend, opts.chroma_host, opts.chroma_port)
    docs_info = None
    if opts.docs:
        settings, docs_info = docs_index(opts.docs, settings, opts.cache_dir or default_cache_dir(), log)
    return suites, settings, docs_info


def run(opts: RunOptions, log: Callable[[str], None] | None = None) -> tuple[dict[str, Any], Path]:
    """Run the suites, write results.json, summary.md and report.html; return (results, out dir)."""
    from evals.report import write_html, write_summary_md

    log = log or (lambda msg: print(msg, file=sys.stderr))
    suites, settings, docs_info = prepare(opts, log)
    thresholds: dict[str, float] = {}
    for suite in suites:
        for name, value in suite.fail_under.items():
            check_metric_name(name, f"{suite.path}: fail_under")
            thresholds[name] = max(value, thresholds.get(name, value))
    thresholds.update(opts.fail_under)

    started = time.time()
    assistant = open_assistant(settings)
    k = opts.k or settings.top_k
    cases = [c for s in suites for c in s.cases]
    results = run_cases(cases, assistant, k, opts.role_override, opts.progress, label=", ".join(s.name for s in suites))
    summary = summarize(results)
    data = {
        "schema": SCHEMA,
        "created_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 2),
        "suites": [
            {"path": s.path, "name": s.name, "sha256": s.sha256, "cases": len(s.cases), "format": s.format, "description": s.description}
            for s in suites
        ],
        "settings_hash": settings.settings_hash,
        "index_version": assistant.manifest.version,
        "index_dir": str(settings.index_dir),
        "git_commit": git_commit(),
        "backend": settings.backend,
        "embed_model": settings.embed_model,
        "k": k,
        "role_override": opts.role_override,
        "docs": docs_info,
        "settings": {
            key: getattr(settings, key)
            for key in ("top_k", "candidates", "max_per_doc", "rrf_k", "answer_min_score", "support_min_score", "max_answer_sentences")
        },
        "summary": summary,
        "gate": check_gate(summary, thresholds),
        "definitions": {name: {"label": label, "definition": text} for name, (label, text) in DEFINITIONS.items()}
        | {"latency": {"label": "Latency", "definition": LATENCY_DEFINITION}},
        "cases": results,
    }
    out = opts.out or RUNS_DIR / _timestamp()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    write_summary_md(data, out / "summary.md")
    write_html(data, out / "report.html")
    return data, out


def load_run(path: str | Path) -> dict[str, Any]:
    """A run's results.json, given the run folder or the file itself."""
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise EvalError(f"no results.json in {path}")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EvalError(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "cases" not in data or "summary" not in data:
        raise EvalError(f"{file}: not an eval results file")
    return data


# ----------------------------------------------------------------------------- calibration
class CachingEmbedder:
    """Wraps an embedder with an in-memory text -> vector cache (calibration re-asks the same texts)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, Any] = {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: list[str]):
        return self._cached(texts, self.inner.embed, "")

    def embed_query(self, texts: list[str]):
        """Questions as the inner embedder reads them (e5: "query: ", apart from passages), cached apart."""
        from assistant.embedding import embed_queries

        return self._cached(texts, lambda todo: embed_queries(self.inner, todo), "\x00query\x00")

    def _cached(self, texts: list[str], fn, tag: str):
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if tag + t not in self._cache]
        if todo:
            for t, v in zip(todo, fn(todo)):
                self._cache[tag + t] = v
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[tag + t] for t in texts])


def _memo_assistant_class():
    from assistant.service import Assistant

    class MemoAssistant(Assistant):
        """The app's Assistant with retrieval memoised, so a threshold sweep re-scores without re-retrieving."""

        def __init__(self, settings, memo: dict, **kwargs) -> None:
            super().__init__(settings, **kwargs)
            self._memo = memo

        def retrieve(self, query, role="public", filters=None, k=None, keyword_weight=1.0):
            key = (query, role, json.dumps(filters if isinstance(filters, dict) or filters is None else dataclasses.asdict(filters), sort_keys=True), k, keyword_weight)
            if key not in self._memo:
                self._memo[key] = super().retrieve(query, role, filters, k, keyword_weight=keyword_weight)
            return self._memo[key]

    return MemoAssistant


def thresholds_range(spec: str) -> list[float]:
    """``"0.30:0.60:0.02"`` -> [0.30, 0.32, ..., 0.60]."""
    try:
        start, stop, step = (float(x) for x in spec.split(":"))
    except ValueError:
        raise SuiteError(f"--range: {spec!r} is not START:STOP:STEP (for example 0.30:0.60:0.02)") from None
    if step <= 0 or stop < start:
        raise SuiteError("--range: STEP must be positive and STOP at least START")
    count = int(round((stop - start) / step)) + 1
    return [round(start + i * step, 4) for i in range(count)]


def calibrate(opts: RunOptions, thresholds: Sequence[float], log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Precision/coverage of the suites at each ``answer_min_score``; retrieval and embeddings are reused. The
    decline model is off in the sweep: under a model the answer step drafts from the model's own floor, so the
    threshold alone would change nothing (re-fit a model with ``--fit``)."""
    from assistant.embedding import embedder_for
    from assistant.store import ChromaStore

    log = log or (lambda msg: print(msg, file=sys.stderr))
    suites, settings, docs_info = prepare(opts, log)
    cases = [c for s in suites for c in s.cases]
    embedder = CachingEmbedder(embedder_for(settings))
    store = ChromaStore(settings)
    memo: dict = {}
    klass = _memo_assistant_class()
    rows = []
    for t in thresholds:
        variant = settings.model_copy(update={"answer_min_score": float(t), "decline_model": None})
        assistant = klass(variant, memo, embedder=embedder, store=store)
        if not assistant.manifest.docs:
            raise EvalError(f"the index in {settings.index_dir} is empty; build it first (python -m ingest corpus)")
        results = run_cases(cases, assistant, opts.k, opts.role_override, opts.progress, label=f"min score {t:.2f}")
        summary = summarize(results)
        m = summary["metrics"]
        rows.append(
            {
                "threshold": float(t),
                "current": abs(float(t) - settings.answer_min_score) < 1e-9,
                "answered": sum(1 for r in results if not r["declined"]),
                "declined": summary["declined"],
                **{name: m[name]["value"] for name in ("answered_precision", "coverage", "decline_precision", "decline_recall", "pass_rate")},
            }
        )
    return {
        "suites": [s.path for s in suites],
        "cases": len(cases),
        "current": settings.answer_min_score,
        "settings_hash": settings.settings_hash,
        "docs": docs_info,
        "rows": rows,
    }


def format_calibration(data: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "   -  " if v is None else f"{v:6.3f}"

    lines = [
        f"decline threshold sweep (answer_min_score, decline model off) over {data['cases']} cases of {', '.join(data['suites'])}",
        "precision = answered-correctly precision (correct among answered); coverage = answered among answerable",
        "",
        "threshold  answered  declined  precision  coverage  decl.prec  decl.rec  pass_rate",
    ]
    for r in data["rows"]:
        mark = "  <- current" if r["current"] else ""
        lines.append(
            f"  {r['threshold']:.3f}    {r['answered']:6d}    {r['declined']:6d}     {f(r['answered_precision'])}    "
            f"{f(r['coverage'])}     {f(r['decline_precision'])}    {f(r['decline_recall'])}    {f(r['pass_rate'])}{mark}"
        )
    return "\n".join(lines)
