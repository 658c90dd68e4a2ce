"""``python -m evals public --fit-decline``: fit the packaged decline model on the development sets.

Fitted on the SQuAD 2.0 sample, the 10-Q questions, a seeded sample of 300 ViQuAD 2.0
questions and the core suite (evals/suites/core.yaml over the sample-corpus index), each split by a seeded hash of its passage/document
(:func:`evals.public_data.split_ids`: 60% fit, 40% held out, no passage in both);
the threshold is chosen on the fit part, and the precision/coverage curve and the
figures reported in docs/evaluation.md are measured on the held-out part only.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.decline_fit import THRESHOLDS, collect, curve, decide, fit, fitting_settings, format_curve, outcome

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- decline-curve:start -->", "<!-- decline-curve:end -->"
CORE = ROOT / "evals" / "suites" / "core.yaml"
FIT_SETS = {"squad2": None, "sec-10q": None, "viquad2": 300, "core": None}  # questions per set (None: all)


def _strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "result"}
            | ({"question": r["result"]["question"], "answer": r["result"]["answer"]} if "result" in r else {}) for r in rows]


def fit_public(data: Path, out: Path, doc: Path | None, index_cache: Path | None = None, config: str | None = None,
               core_index: Path | None = None, progress: bool | None = None, plot: Path | None = None,
               log: Callable[[str], None] | None = None, rows_file: Path | None = None) -> dict[str, Any]:
    """Collect (or, with ``rows_file``, re-read a collection's rows.json), fit on the fit part, report the held-out part."""
    from evals.public_data import convert_all, sample_cases, split_ids
    from evals.runner import RUNS_DIR, default_cache_dir, docs_index, make_settings, open_assistant
    from evals.suite import load_suite

    log = log or (lambda m: print(m, file=sys.stderr))
    index_cache = index_cache or default_cache_dir()
    base = make_settings(config, index_dir=core_index)
    sets = {p.name: p for p in convert_all(data, index_cache.parent / "public-sets", [n for n in FIT_SETS if n != "core"])}
    suites = {name: sample_cases(list(p.suite.cases), FIT_SETS[name]) if FIT_SETS[name] else list(p.suite.cases)
              for name, p in sets.items()}
    suites["core"] = list(load_suite(CORE).cases)
    groups: dict[str, list[dict[str, Any]]] = {}
    collected = False
    if rows_file is not None:
        groups = json.loads(Path(rows_file).read_text(encoding="utf-8"))
        log(f"re-using the rows of {', '.join(groups)} from {rows_file} (features as collected then)")
    for name, cases in suites.items():
        if name in groups:
            continue
        settings = base if name == "core" else docs_index(sets[name].docs, base, index_cache, log)[0]
        groups[name] = collect(open_assistant(fitting_settings(settings)), cases, None, name, progress)
        collected = True

    fit_rows, held = [], {}
    for name, cases in suites.items():
        fit_ids, held_ids = split_ids(cases)
        fit_rows += [r for r in groups[name] if r["id"] in fit_ids]
        held[name] = [r for r in groups[name] if r["id"] in held_ids]
    info = {
        "fitted": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "data": "the SQuAD 2.0 sample (1,000 q), the 10-Q questions (121), a seeded sample of 300 ViQuAD 2.0 questions "
                "and the core suite (77); 60% of each set to fit, split by passage/document (seeded), threshold chosen "
                "on the fit part",
        "fit_cases": len(fit_rows), "held_out_cases": {k: len(v) for k, v in held.items()},
    }
    model = fit(fit_rows, base.embed_model, info, log, draft_min_score=base.answer_min_score)
    report: dict[str, Any] = {"threshold": model.threshold, "held_out": {}, "curves": {}}
    for name, rows in held.items():
        report["held_out"][name] = {"model": outcome(rows, decide(rows, model)), "no_model_floor": outcome(rows, decide(rows, None))}
        report["curves"][name] = curve(rows, model, THRESHOLDS)
        log(f"held-out {name}:\n" + format_curve(report["curves"][name], model.threshold))
    model.info["held_out"] = {k: {m: (round(v, 4) if isinstance(v, float) else v) for m, v in d["model"].items()}
                              for k, d in report["held_out"].items()}
    model.save(out)
    log(f"wrote {out}")
    if collected:
        run_dir = RUNS_DIR / f"decline-fit-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "rows.json").write_text(json.dumps({k: _strip(v) for k, v in groups.items()}, indent=1, ensure_ascii=False), encoding="utf-8")
        log(f"wrote {run_dir / 'rows.json'} (re-fit from it with --rows)")
    if plot is not None:
        _plot(report["curves"], plot, log)
    if doc is not None:
        from evals.public import write_doc

        write_doc(doc, render(report, model, plot), START, END)
    return report


def render(report: dict[str, Any], model, plot: Path | None) -> str:
    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.2f}"

    lines = [START, "", f"Fitted {model.info.get('fitted', '')} on {model.info['fit_cases']} cases "
             f"({model.info['data']}); encoder `{model.encoder}`; threshold **{model.threshold:.2f}**. "
             "Figures on the held-out part only:", ""]
    for name, curve_rows in report["curves"].items():
        lines += [f"**{name}, held out ({len(report['curves'][name]) and curve_rows[0]['cases']} cases)**", "",
                  "| threshold | answered | answered-correctly precision | coverage | decline precision | decline recall | balanced accuracy |",
                  "|---|---|---|---|---|---|---|"]
        for r in curve_rows:
            mark = " ← model" if abs(r["threshold"] - model.threshold) < 1e-9 else ""
            lines.append(f"| {r['threshold']:.2f}{mark} | {r['answered']} | {f(r['answered_precision'])} | {f(r['coverage'])} | "
                         f"{f(r['decline_precision'])} | {f(r['decline_recall'])} | {f(r['balanced_accuracy'])} |")
        m = report["held_out"][name]["model"]
        if not any(abs(r["threshold"] - model.threshold) < 1e-9 for r in curve_rows):
            lines.append(f"| {model.threshold:.2f} ← model | {m['answered']} | {f(m['answered_precision'])} | {f(m['coverage'])} | "
                         f"{f(m['decline_precision'])} | {f(m['decline_recall'])} | {f(m['balanced_accuracy'])} |")
        n = report["held_out"][name]["no_model_floor"]
        lines += ["", f"Without the model (every draft the rules let through answered): answered-correctly precision "
                      f"{f(n['answered_precision'])}, decline balanced accuracy {f(n['balanced_accuracy'])}.", ""]
    if plot is not None and plot.is_file():
        lines += [f"![precision against coverage of the decline model, held-out cases]({plot.name})", ""]
    lines.append(END)
    return "\n".join(lines)


def _plot(curves: dict[str, list[dict[str, Any]]], path: Path, log: Callable[[str], None]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return
    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=110)
    for name, rows in curves.items():
        pts = [(r["coverage"], r["answered_precision"]) for r in rows if r["coverage"] is not None and r["answered_precision"] is not None]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{name} (held out)")
    ax.set_xlabel("coverage (answerable questions answered)")
    ax.set_ylabel("answered-correctly precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    log(f"wrote {path}")
