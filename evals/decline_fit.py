"""Fitting the answer-or-decline model (assistant/decline.py) on eval suites, and its precision/coverage curve.

``collect`` asks every case through the app's own code path with the decline model
off and the answer step's threshold at the model's floor, and records, per case,
the decline features of the drafted answer and whether that draft is right
(answerable and correct by the eval's own judgement, :func:`evals.metrics.score_case`).
``fit`` is a standardised, L2-regularised logistic regression solved by a few
Newton steps in numpy; ``curve`` re-decides every case at a range of probability
thresholds. Everything is deterministic.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.decline import FEATURES, DeclineModel, measure

DRAFT_FLOOR = 0.0  # answer_min_score while collecting: the model sees every draft the rules let through
L2 = 1.0
# What the model predicts: "answerable" (the question is one the documents answer) or "correct" (answerable
# and the draft answers it correctly). On the development sets "answerable" separated better on the fit part
# and cost the core suite fewer answers (docs/evaluation.md); the decision is still taken on drafts only.
TARGETS = ("answerable", "correct")


def collect(assistant, cases, k: int | None = None, label: str = "features", progress: bool | None = None) -> list[dict[str, Any]]:
    """One row per case: id, suite, should_decline, draft_declined, correct, features, and the scored result."""
    from tqdm import tqdm

    from evals.runner import evaluate_case, resolve_contexts

    audiences = {d.doc_id: d.audience for d in assistant.manifest.docs.values()}
    resolved = resolve_contexts(cases, assistant)
    k = k or assistant.settings.top_k
    assistant.warm_up()
    rows = []
    show = sys.stderr.isatty() if progress is None else progress
    for case in tqdm(cases, desc=label, unit="case", file=sys.stderr, disable=not show, dynamic_ncols=True):
        result = evaluate_case(assistant, case, k, audiences, None, resolved.get(case.id))
        feats = None
        if not result["declined"] and not result["error"]:
            passages = assistant.retrieve(result["searched_for"], case.role, case.filters or None)
            feats = measure(result["searched_for"], passages, assistant.scorer, assistant.settings)
        rows.append({
            "id": case.id, "suite": case.suite, "should_decline": case.should_decline,
            "draft_declined": bool(result["declined"] or result["error"]), "correct": result["correct"] is True,
            "features": feats, "result": result,
        })
    return rows


def matrix(rows: Sequence[dict[str, Any]], names: Sequence[str] = FEATURES, target: str = "answerable",
           balance: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, sample weights) over the rows whose draft was not declined; y per ``target`` (see TARGETS);
    with ``balance`` each suite weighs the same in all, else each case does."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; targets: {', '.join(TARGETS)}")
    use = [r for r in rows if r["features"] is not None]
    X = np.array([[r["features"][n] for n in names] for r in use], dtype=np.float64).reshape(len(use), len(names))
    y = np.array([1.0 if not r["should_decline"] and (target == "answerable" or r["correct"]) else 0.0 for r in use])
    sizes: dict[str, int] = {}
    for r in use:
        sizes[r.get("suite", "")] = sizes.get(r.get("suite", ""), 0) + 1
    w = np.array([len(use) / (len(sizes) * sizes[r.get("suite", "")]) if balance else 1.0 for r in use])
    return X, y, w


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 25,
                 sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, scale, weights, bias) of an L2-regularised logistic regression on standardised X (Newton's method)."""
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -50, 50)))
        grad = Z.T @ (sw * (p - y)) + reg * w
        hess = (Z * (sw * p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[:-1], float(w[-1])


def decide(rows: Sequence[dict[str, Any]], model: DeclineModel | None, threshold: float | None = None) -> list[bool]:
    """Answered (True) or declined, per row: the draft's own decline, then the model at ``threshold``."""
    t = model.threshold if (model is not None and threshold is None) else threshold
    out = []
    for r in rows:
        if r["draft_declined"] or r["features"] is None:
            out.append(False)
        elif model is not None and r["features"]["best_score"] < model.draft_min_score:
            out.append(False)  # the answer step's own threshold, which stays in force under the model
        elif model is None:
            out.append(True)
        else:
            out.append(model.probability(r["features"]) >= t)
    return out


def outcome(rows: Sequence[dict[str, Any]], answered: Sequence[bool]) -> dict[str, Any]:
    """Decline precision/recall, coverage, balanced accuracy and answered-correctly precision of a decision."""
    n_ans = sum(answered)
    right = sum(1 for r, a in zip(rows, answered) if a and r["correct"] and not r["should_decline"])
    answerable = [a for r, a in zip(rows, answered) if not r["should_decline"]]
    unanswerable = [a for r, a in zip(rows, answered) if r["should_decline"]]
    declined_should = sum(1 for a in unanswerable if not a)
    declined = len(rows) - n_ans

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    coverage = ratio(sum(answerable), len(answerable))
    d_recall = ratio(declined_should, len(unanswerable))
    return {
        "cases": len(rows), "answered": n_ans, "declined": declined,
        "answered_precision": ratio(right, n_ans), "coverage": coverage,
        "accuracy_answerable": ratio(sum(1 for r, a in zip(rows, answered) if a and r["correct"] and not r["should_decline"]), len(answerable)),
        "decline_precision": ratio(declined_should, declined), "decline_recall": d_recall,
        "balanced_accuracy": (coverage + d_recall) / 2 if coverage is not None and d_recall is not None else None,
    }


def curve(rows: Sequence[dict[str, Any]], model: DeclineModel, thresholds: Sequence[float]) -> list[dict[str, Any]]:
    return [{"threshold": round(float(t), 3), **outcome(rows, decide(rows, model, float(t)))} for t in thresholds]


def _merit(g: dict[str, Any]) -> float:
    """Decline balanced accuracy; for a suite without unanswerable cases, answered-correctly precision x coverage."""
    if g["balanced_accuracy"] is not None:
        return g["balanced_accuracy"]
    return (g["answered_precision"] or 0.0) * (g["coverage"] or 0.0)


TOLERANCE = 0.01  # thresholds within this much of the best merit count as equally good (a tie-break)
MOSTLY_RIGHT = 0.7  # a suite whose drafts are at least this often right (answered-correctly precision) ...
MAX_COVERAGE_LOSS = 0.02  # ... may lose at most this share of its answerable questions to the model


def choose_threshold(rows: Sequence[dict[str, Any]], model: DeclineModel, tolerance: float = TOLERANCE) -> float:
    """The threshold with the best mean over suites of their decline balanced accuracy (see ``_merit``), among
    those that cost no suite whose drafts are mostly right more than MAX_COVERAGE_LOSS of its answerable
    questions (where the drafts are right, a declined answerable question is a lost answer); of thresholds
    within ``tolerance`` of that best, the lowest (the most answers)."""
    suites: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        suites.setdefault(r.get("suite", ""), []).append(r)
    before = {name: outcome(rs, decide(rs, model, 0.0)) for name, rs in suites.items()}  # the draft rules alone
    guarded = {name for name, o in before.items() if (o["answered_precision"] or 0.0) >= MOSTLY_RIGHT and o["coverage"] is not None}
    grid = [float(t) for t in np.round(np.arange(0.05, 0.951, 0.01), 3)]
    merit, allowed = [], []
    for t in grid:
        now = {name: outcome(rs, decide(rs, model, t)) for name, rs in suites.items()}
        merit.append(sum(_merit(o) for o in now.values()) / len(now))
        allowed.append(all(now[n]["coverage"] >= before[n]["coverage"] - MAX_COVERAGE_LOSS - 1e-9 for n in guarded))
    candidates = [m for m, ok in zip(merit, allowed) if ok] or [merit[0]]
    best = max(candidates)
    return next(t for t, m, ok in zip(grid, merit, allowed) if (ok or not any(allowed)) and m >= best - tolerance)


def fit(rows: Sequence[dict[str, Any]], encoder: str, info: dict[str, Any] | None = None,
        log: Callable[[str], None] = lambda m: None, target: str = "answerable", draft_min_score: float = DRAFT_FLOOR) -> DeclineModel:
    """Fit on ``rows`` and choose the threshold on them; the model records the encoder and what it saw."""
    X, y, sw = matrix(rows, target=target)
    if len(y) < 10 or y.min() == y.max():
        raise ValueError(
            f"cannot fit the decline model: {len(y)} drafted answers, {int(y.sum())} of them {target}; "
            f"it needs at least 10 drafts, some {target} and some not"
        )
    mean, scale, weights, bias = fit_logistic(X, y, sample_weight=sw)
    model = DeclineModel(FEATURES, mean.tolist(), scale.tolist(), weights.tolist(), bias, 0.5, draft_min_score, encoder,
                         dict(info or {}) | {"target": target})
    model.threshold = choose_threshold(rows, model)
    log(f"fitted on {len(y)} drafts ({int(y.sum())} positive: {target}) of {len(rows)} cases; threshold {model.threshold:.2f}")
    return model


def format_curve(rows: list[dict[str, Any]], current: float | None = None) -> str:
    def f(v: float | None) -> str:
        return "   -  " if v is None else f"{v:6.3f}"

    lines = ["threshold  answered  declined  ans.prec  coverage  decl.prec  decl.rec  bal.acc"]
    for r in rows:
        mark = "  <- model threshold" if current is not None and abs(r["threshold"] - current) < 1e-9 else ""
        lines.append(f"  {r['threshold']:.2f}     {r['answered']:6d}    {r['declined']:6d}   {f(r['answered_precision'])}   "
                     f"{f(r['coverage'])}    {f(r['decline_precision'])}    {f(r['decline_recall'])}   {f(r['balanced_accuracy'])}{mark}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- command-line entry points
def fitting_settings(settings):
    """The settings a collection runs under: no decline model, the answer step at the model's floor."""
    return settings.model_copy(update={"decline_model": None, "answer_min_score": DRAFT_FLOOR})


def fit_suites(opts, out, log: Callable[[str], None]) -> dict[str, Any]:
    """``python -m evals calibrate SUITE... --fit``: collect, fit, write ``out``; the curve on the same cases."""
    from evals.runner import open_assistant, prepare

    suites, settings, _docs = prepare(opts, log)
    cases = [c for s in suites for c in s.cases]
    assistant = open_assistant(fitting_settings(settings))
    rows = collect(assistant, cases, opts.k, "fit", opts.progress)
    info = {"suites": [s.path for s in suites], "cases": len(cases), "split": "all cases (no hold-out)"}
    model = fit(rows, settings.embed_model, info, log, draft_min_score=settings.answer_min_score)
    table = curve(rows, model, THRESHOLDS)
    model.info["curve_on"] = "the fitted cases"
    model.save(out)
    return {"model": model, "rows": rows, "curve": table}


THRESHOLDS = (0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)
