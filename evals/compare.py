"""Compare two runs: metric deltas and the cases that flipped between pass and fail."""

from __future__ import annotations

import html
from typing import Any

from evals.metrics import DEFINITIONS
from evals.report import CSS, fmt, ms


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Differences from run ``a`` (before) to run ``b`` (after)."""
    ma, mb = a["summary"]["metrics"], b["summary"]["metrics"]
    metrics = []
    for name in [n for n in DEFINITIONS if n in ma or n in mb]:
        va = (ma.get(name) or {}).get("value")
        vb = (mb.get(name) or {}).get("value")
        metrics.append({"metric": name, "a": va, "b": vb, "delta": None if va is None or vb is None else vb - va})
    latency = []
    la, lb = a["summary"].get("latency_ms", {}), b["summary"].get("latency_ms", {})
    for stage in [s for s in la if s in lb]:
        for stat in ("p50", "p95"):
            va, vb = la[stage].get(stat), lb[stage].get(stat)
            latency.append({"stage": stage, "stat": stat, "a": va, "b": vb, "delta": None if va is None or vb is None else vb - va})
    cases_a = {c["id"]: c for c in a["cases"]}
    cases_b = {c["id"]: c for c in b["cases"]}
    regressed, fixed = [], []
    for cid, cb in cases_b.items():
        ca = cases_a.get(cid)
        if ca is None or ca["passed"] == cb["passed"]:
            continue
        entry = {
            "id": cid,
            "question": cb["question"],
            "turns": cb.get("turns", []),
            "a_answer": ca["answer"],
            "b_answer": cb["answer"],
            "a_failures": ca["failures"],
            "b_failures": cb["failures"],
            "diagnosis": cb.get("diagnosis", ""),
        }
        (regressed if ca["passed"] else fixed).append(entry)
    context = []
    for key in ("git_commit", "settings_hash", "index_version", "backend", "k"):
        if a.get(key) != b.get(key):
            context.append({"what": key, "a": a.get(key), "b": b.get(key)})
    suites_a = {s["path"]: s["sha256"] for s in a.get("suites", [])}
    suites_b = {s["path"]: s["sha256"] for s in b.get("suites", [])}
    for path in sorted(set(suites_a) | set(suites_b)):
        if suites_a.get(path) != suites_b.get(path):
            context.append({"what": f"suite {path}", "a": (suites_a.get(path) or "absent")[:12], "b": (suites_b.get(path) or "absent")[:12]})
    for key in ("answer_min_score", "support_min_score", "top_k"):
        va, vb = a.get("settings", {}).get(key), b.get("settings", {}).get(key)
        if va != vb:
            context.append({"what": key, "a": va, "b": vb})
    return {
        "a": {"created_at": a.get("created_at"), "cases": len(cases_a), "passed": a["summary"]["passed"]},
        "b": {"created_at": b.get("created_at"), "cases": len(cases_b), "passed": b["summary"]["passed"]},
        "metrics": metrics,
        "latency": latency,
        "regressed": regressed,
        "fixed": fixed,
        "only_in_a": sorted(set(cases_a) - set(cases_b)),
        "only_in_b": sorted(set(cases_b) - set(cases_a)),
        "context": context,
    }


def _delta(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}f}" if abs(value) >= 10 ** -digits / 2 else "0"


def format_text(cmp: dict[str, Any], label_a: str = "A", label_b: str = "B") -> str:
    lines = [
        f"A = {label_a} ({cmp['a']['created_at']}): {cmp['a']['passed']}/{cmp['a']['cases']} passed",
        f"B = {label_b} ({cmp['b']['created_at']}): {cmp['b']['passed']}/{cmp['b']['cases']} passed",
    ]
    if cmp["context"]:
        lines.append("differences in set-up:")
        lines += [f"  {c['what']}: {c['a']} -> {c['b']}" for c in cmp["context"]]
    lines += ["", f"{'metric':28} {'A':>7} {'B':>7} {'delta':>8}"]
    for row in cmp["metrics"]:
        lines.append(f"{DEFINITIONS[row['metric']][0]:28} {fmt(row['a']):>7} {fmt(row['b']):>7} {_delta(row['delta']):>8}")
    if cmp["latency"]:
        lines += ["", f"{'latency (ms)':28} {'A':>7} {'B':>7} {'delta':>8}"]
        for row in cmp["latency"]:
            name = f"{row['stage'].removesuffix('_ms')} {row['stat']}"
            lines.append(f"{name:28} {ms(row['a']):>7} {ms(row['b']):>7} {_delta(row['delta'], 0):>8}")
    lines += ["", f"regressed (passed in A, fail in B): {len(cmp['regressed'])}"]
    for c in cmp["regressed"]:
        lines.append(f"  - {c['id']}: {'; '.join(c['b_failures'])}")
    lines.append(f"fixed (failed in A, pass in B): {len(cmp['fixed'])}")
    for c in cmp["fixed"]:
        lines.append(f"  + {c['id']} (was: {'; '.join(c['a_failures'])})")
    if cmp["only_in_a"]:
        lines.append(f"only in A: {', '.join(cmp['only_in_a'])}")
    if cmp["only_in_b"]:
        lines.append(f"only in B: {', '.join(cmp['only_in_b'])}")
    return "\n".join(lines)


def compare_html(cmp: dict[str, Any], label_a: str = "A", label_b: str = "B") -> str:
    e = html.escape

    def cls(delta: float | None, higher_is_better: bool = True, tolerance: float = 5e-4) -> str:
        if delta is None or abs(delta) < tolerance:
            return "muted"
        return "ok" if (delta > 0) == higher_is_better else "bad"

    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Eval comparison</title><style>{CSS}</style></head><body><main>',
        "<h1>Eval comparison</h1>",
        f'<div class="meta">A = <code>{e(label_a)}</code> ({e(str(cmp["a"]["created_at"]))}, {cmp["a"]["passed"]}/{cmp["a"]["cases"]} passed) · '
        f'B = <code>{e(label_b)}</code> ({e(str(cmp["b"]["created_at"]))}, {cmp["b"]["passed"]}/{cmp["b"]["cases"]} passed)</div>',
    ]
    if cmp["context"]:
        parts.append("<h2>Set-up differences</h2><table><tr><th>what</th><th>A</th><th>B</th></tr>")
        parts += [f"<tr><td>{e(c['what'])}</td><td><code>{e(str(c['a']))}</code></td><td><code>{e(str(c['b']))}</code></td></tr>" for c in cmp["context"]]
        parts.append("</table>")
    parts.append("<h2>Metrics</h2><table><tr><th>metric</th><th class=n>A</th><th class=n>B</th><th class=n>delta</th></tr>")
    for row in cmp["metrics"]:
        parts.append(
            f"<tr><td>{e(DEFINITIONS[row['metric']][0])}</td><td class=n>{fmt(row['a'])}</td><td class=n>{fmt(row['b'])}</td>"
            f'<td class="n {cls(row["delta"])}">{_delta(row["delta"])}</td></tr>'
        )
    parts.append("</table>")
    if cmp["latency"]:
        parts.append("<h2>Latency (ms)</h2><table><tr><th>stage</th><th class=n>A</th><th class=n>B</th><th class=n>delta</th></tr>")
        for row in cmp["latency"]:
            parts.append(
                f"<tr><td>{e(row['stage'].removesuffix('_ms'))} {row['stat']}</td><td class=n>{ms(row['a'])}</td><td class=n>{ms(row['b'])}</td>"
                f'<td class="n {cls(row["delta"], False, 0.5)}">{_delta(row["delta"], 0)}</td></tr>'
            )
        parts.append("</table>")
    for title, key, kind in (("Regressed: passed in A, fail in B", "regressed", "fail"), ("Fixed: failed in A, pass in B", "fixed", "pass")):
        parts.append(f"<h2>{title} ({len(cmp[key])})</h2>")
        if not cmp[key]:
            parts.append('<p class="muted">None.</p>')
        for c in cmp[key]:
            q = " → ".join(c["turns"]) if len(c["turns"]) > 1 else c["question"]
            parts.append(
                f'<details class="case"><summary><span class="badge {kind}">{kind.upper()}</span><span class="cid">{e(c["id"])}</span>'
                f"<span>{e(q)}</span></summary><div class=body>"
                f'<div class="why">{e("; ".join(c["b_failures"] if kind == "fail" else c["a_failures"]))}</div>'
                f'<h4>A</h4><div class="answer">{e(c["a_answer"])}</div><h4>B</h4><div class="answer">{e(c["b_answer"])}</div>'
                + (f'<div class="diag">Diagnosis: {e(c["diagnosis"])}</div>' if c.get("diagnosis") and kind == "fail" else "")
                + "</div></details>"
            )
    if cmp["only_in_a"] or cmp["only_in_b"]:
        parts.append(f"<h2>Cases in one run only</h2><p>A only: {e(', '.join(cmp['only_in_a']) or 'none')}<br>B only: {e(', '.join(cmp['only_in_b']) or 'none')}</p>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
