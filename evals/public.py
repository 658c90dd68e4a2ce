"""``python -m evals public``: the public development sets, ours and the plain llama-index pipeline, one table.

For each set (evals/public_data.py converts them): its documents are indexed once
(the eval ``--docs`` cache), every question goes through the app's own code path
(:func:`evals.runner.run_cases`, so the packaged decline model is in charge exactly
as in the app), and the plain llama-index pipeline (evals/public_baseline.py)
retrieves for the same questions from the same documents in the same run. The
figures go to ``docs/evaluation.md`` between generated-section markers, and every
case to ``evals/runs/public-<time>/results.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.public_data import CORRECT_DEFINITION, QUICK, PublicSet, convert_all, sample_cases, split_ids

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "evaluation.md"
START, END = "<!-- public-eval:start -->", "<!-- public-eval:end -->"
README = ROOT / "README.md"
README_START, README_END = "<!-- public-eval-readme:start -->", "<!-- public-eval-readme:end -->"
K = 5
_NUMBER = re.compile(r"^[($]*[-+]?\d[\d,.]*\)?%?$")


@dataclass
class PublicOptions:
    data: Path
    cache: Path | None = None
    index_cache: Path | None = None
    sets: list[str] = field(default_factory=list)
    quick: bool = False
    limit: int | None = None  # questions per set (overrides --quick's sizes)
    baseline: bool = True
    out: Path | None = None
    doc: Path | None = DOC
    readme: Path | None = None  # also copy the table here, between the public-eval-readme markers (if present)
    config: str | None = None
    progress: bool | None = None


def number_run(text: str, run: int = 4) -> bool:
    """Four bare numbers in a row (lone $ and % signs skipped, citation markers end a run) or a table pipe."""
    if "|" in text:
        return True
    count = 0
    for token in text.split():
        if token in ("$", "%", "—", "-"):
            continue
        count = count + 1 if _NUMBER.match(token) else 0
        if count >= run:
            return True
    return False


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def set_metrics(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The table's figures for one set's case results (see docs/evaluation.md for each definition)."""
    answerable = [r for r in results if not r["should_decline"]]
    unanswerable = [r for r in results if r["should_decline"]]
    with_src = [r for r in answerable if r["expected_sources"]]
    answered = [r for r in results if not r["declined"]]
    coverage = _share([not r["declined"] for r in answerable])
    d_recall = _share([r["declined"] for r in unanswerable])
    declined = [r for r in results if r["declined"]]
    single = [r for r in with_src if "single-doc" in r["tags"]]
    f1 = [r["metrics"]["token_f1"] for r in answerable if r["metrics"].get("token_f1") is not None]
    return {
        "cases": len(results),
        "answerable": len(answerable),
        "first": _share([r["metrics"]["doc_mrr"] == 1.0 for r in with_src]),
        "first_single": _share([r["metrics"]["doc_mrr"] == 1.0 for r in single]) if single else None,
        "top5": _share([r["metrics"]["doc_hit_at_k"] == 1.0 for r in with_src]),
        "correct": _share([r["correct"] is True for r in answerable]),
        "token_f1": sum(f1) / len(f1) if f1 else None,
        "answered_precision": _share([r["correct"] is True for r in answered]),
        "coverage": coverage,
        "decline_precision": _share([r["should_decline"] for r in declined]) if unanswerable else None,
        "decline_recall": d_recall,
        "balanced_accuracy": (coverage + d_recall) / 2 if coverage is not None and d_recall is not None else None,
        "number_runs": _share([number_run(r["answer"]) for r in answered]),
    }


def run_public(opts: PublicOptions, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every set; write results.json (and the table into ``opts.doc``); return the run's data."""
    from evals.runner import (
        RUNS_DIR,
        default_cache_dir,
        docs_index,
        git_commit,
        make_settings,
        open_assistant,
        run_cases,
    )

    log = log or (lambda m: print(m, file=sys.stderr))
    started = time.time()
    index_cache = opts.index_cache or default_cache_dir()
    cache = opts.cache or index_cache.parent / "public-sets"
    sets = convert_all(opts.data, cache, opts.sets or None)
    base = make_settings(opts.config)
    out: dict[str, Any] = {
        "created_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "git_commit": git_commit(), "quick": opts.quick, "embed_model": base.embed_model,
        "multilingual_model": base.companion.embed_model if base.companion is not None else None,
        "decline_model": str(base.decline_model) if base.decline_model else None, "k": K, "sets": {},
    }
    for pset in sets:
        cases = _cases(pset, opts)
        t0 = time.time()
        settings, info = docs_index(pset.docs, base, index_cache, log)
        assistant = open_assistant(settings)
        out["decline_model_used"] = assistant.decline_model is not None
        t_index = time.time() - t0
        t1 = time.time()
        results = run_cases(cases, assistant, K, None, opts.progress, label=pset.name)
        entry: dict[str, Any] = {
            "documents": len(assistant.manifest.docs), "questions": len(cases), "index_seconds": round(t_index, 1),
            "ask_seconds": round(time.time() - t1, 1), "ours": set_metrics(results), "cases": results,
        }
        if pset.name == "squad2":
            _fit_ids, held = split_ids(list(pset.suite.cases))
            entry["ours_held_out"] = set_metrics([r for r in results if r["id"] in held])
            entry["held_out_ids"] = sorted(held)
        if opts.baseline:
            from evals.public_baseline import run_baseline

            t2 = time.time()
            entry["baseline"] = run_baseline(pset, cases, index_cache, base, log, held_out=entry.get("held_out_ids"))
            entry["baseline_seconds"] = round(time.time() - t2, 1)
        out["sets"][pset.name] = entry
        log(f"{pset.name}: {json.dumps({k: _r(v) for k, v in entry['ours'].items()})}")
    out["seconds"] = round(time.time() - started, 1)
    run_dir = opts.out or RUNS_DIR / f"public-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    out["results_path"] = str(run_dir / "results.json")
    if opts.doc is not None:
        section = render_table(out)
        write_doc(opts.doc, section)
        log(f"wrote the table to {opts.doc}")
        if opts.readme is not None and opts.readme.is_file() and README_START in opts.readme.read_text(encoding="utf-8"):
            write_doc(opts.readme, section.replace(START, README_START).replace(END, README_END), README_START, README_END)
            log(f"copied the table to {opts.readme}")
    log(f"wrote {run_dir / 'results.json'} ({out['seconds']:.0f} s)")
    return out


def _cases(pset: PublicSet, opts: PublicOptions) -> list:
    cases = list(pset.suite.cases)
    n = opts.limit or (QUICK.get(pset.name) if opts.quick else None)
    return sample_cases(cases, n) if n else cases


def _r(v: Any) -> Any:
    return round(v, 3) if isinstance(v, float) else v


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def render_table(data: dict[str, Any]) -> str:
    """The generated section of docs/evaluation.md: the table and how it was made."""
    cols = ["right doc first", "in top 5", "answer correct", "token F1", "answered-correctly precision",
            "decline precision", "decline recall", "decline bal. acc.", "bare numbers / pipes"]
    keys = ["first", "top5", "correct", "token_f1", "answered_precision", "decline_precision", "decline_recall",
            "balanced_accuracy", "number_runs"]
    lines = [START, "",
             f"Generated by `python -m evals public{' --quick' if data['quick'] else ''}` on {data['created_at']} "
             f"(commit `{data['git_commit'][:10]}`, encoder `{data['embed_model']}`"
             + (f", multilingual index `{data['multilingual_model']}` for questions not in English" if data.get("multilingual_model") else "")
             + ", decline model "
             f"{'on' if data.get('decline_model_used') else 'off (answer_min_score)'}); {data['seconds'] / 60:.1f} min in all"
             + (" — the **quick** subset, not the full sets." if data["quick"] else "."), "",
             "| set | pipeline | questions | " + " | ".join(cols) + " |", "|---|---|---|" + "---|" * len(cols)]
    for name, entry in data["sets"].items():
        rows = [("ours", entry["ours"], entry["questions"])]
        if "ours_held_out" in entry:
            rows.append(("ours, held-out part", entry["ours_held_out"], entry["ours_held_out"]["cases"]))
        b = entry.get("baseline") or {}
        if b.get("all"):
            rows.append(("plain llama-index (dense)", b["all"], b["all"]["cases"]))
        if b.get("held_out"):
            rows.append(("plain llama-index, held-out part", b["held_out"], b["held_out"]["cases"]))
        for label, m, n in rows:
            lines.append(f"| {name} | {label} | {n} | " + " | ".join(_f(m.get(k)) for k in keys) + " |")
    sec = data["sets"].get("sec-10q")
    if sec:
        b = (sec.get("baseline") or {}).get("all") or {}
        lines += ["", f"10-Q, right filing first on single-filing questions: ours {_f(sec['ours'].get('first_single'))}, "
                      f"plain llama-index {_f(b.get('first_single'))}; on all questions: ours {_f(sec['ours']['first'])}, "
                      f"plain llama-index {_f(b.get('first'))}."]
    for name, entry in data["sets"].items():
        b = entry.get("baseline") or {}
        if b.get("threshold") is not None:
            lines.append(f"{name}: the plain pipeline declines when its top hit's cosine similarity is below "
                         f"{b['threshold']:.3f}, the threshold with the best balanced accuracy **on these same questions** "
                         "(an optimistic baseline).")
    timing = "; ".join(
        f"{n}: {e['documents']} documents, {e['questions']} questions, index {e['index_seconds']:.0f} s (cached after the "
        f"first run), ours {e['ask_seconds']:.0f} s, baseline {e.get('baseline_seconds', 0):.0f} s" for n, e in data["sets"].items()
    )
    lines += ["", f"Time: {timing}.", "", f"Correct: {CORRECT_DEFINITION}", "", END]
    return "\n".join(lines)


def write_doc(path: Path, section: str, start: str = START, end: str = END) -> None:
    """Replace the generated section of ``path`` between ``start`` and ``end`` (or append it, creating the file)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Evaluation\n\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
