"""Reports of a run: ``summary.md`` and a self-contained ``report.html`` (inline CSS and SVG, no JS)."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from evals.metrics import DEFINITIONS, LATENCY_DEFINITION

KPIS = ("pass_rate", "fact_recall", "doc_hit_at_k", "answered_precision", "coverage", "decline_recall")
TAG_COLUMNS = ("fact_recall", "doc_hit_at_k", "citation_recall", "coverage", "decline_recall")


def fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def ms(value: float | None) -> str:
    return "–" if value is None else (f"{value:,.0f}" if value >= 100 else f"{value:.1f}")


def _title(data: dict[str, Any]) -> str:
    return ", ".join(s["name"] for s in data["suites"]) or "eval"


def _label(name: str, k: int) -> str:
    return DEFINITIONS[name][0].replace("@k", f"@{k}")


# ----------------------------------------------------------------------------- markdown
def summary_markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    k = data["k"]
    lines = [
        f"# Eval summary: {_title(data)}",
        "",
        f"- **{s['passed']} of {s['cases']} cases passed** ({pct(s['passed'] / s['cases'] if s['cases'] else None)}); "
        f"{s['declined']} declined ({s['should_decline']} should be); {s['errors']} errors",
        f"- created {data['created_at']} in {data['seconds']} s; git commit `{data['git_commit']}`",
        f"- settings hash `{data['settings_hash']}`, index `{data['index_version']}` ({data['index_dir']}), "
        f"backend `{data['backend']}`, k = {k}, answer_min_score = {data['settings']['answer_min_score']}",
    ]
    if data.get("docs"):
        lines.append(f"- documents: `{data['docs']['docs']}` (index key {data['docs']['key']})")
    if data.get("role_override"):
        lines.append(f"- every case asked as role `{data['role_override']}`")
    for suite in data["suites"]:
        lines.append(f"- suite `{suite['path']}`: {suite['cases']} cases, sha256 `{suite['sha256'][:16]}`")
    if data.get("gate"):
        lines += ["", "## Gate", ""]
        for g in data["gate"]:
            mark = "ok" if g["ok"] else "**FAILED**"
            lines.append(f"- {g['metric']} = {fmt(g['value'])} (minimum {g['min']}): {mark}")
    lines += ["", "## Metrics", "", "| metric | value | cases | definition |", "|---|---:|---:|---|"]
    for name, entry in s["metrics"].items():
        lines.append(f"| {_label(name, k)} | {fmt(entry['value'])} | {entry['n']} | {DEFINITIONS[name][1]} |")
    lines += ["", "## Latency (ms)", "", "| stage | p50 | p95 | max |", "|---|---:|---:|---:|"]
    for stage, st in s["latency_ms"].items():
        lines.append(f"| {stage.removesuffix('_ms')} | {ms(st['p50'])} | {ms(st['p95'])} | {ms(st['max'])} |")
    lines += ["", LATENCY_DEFINITION]
    lines += ["", "## By tag", "", "| tag | cases | passed | pass rate | " + " | ".join(_label(c, k) for c in TAG_COLUMNS) + " |"]
    lines.append("|---|---:|---:|---:|" + "---:|" * len(TAG_COLUMNS))
    for tag, t in s["by_tag"].items():
        cols = " | ".join(fmt(t["metrics"][c]["value"], 2) for c in TAG_COLUMNS)
        lines.append(f"| {tag} | {t['cases']} | {t['passed']} | {pct(t['metrics']['pass_rate']['value'])} | {cols} |")
    failing = [c for c in data["cases"] if not c["passed"]]
    lines += ["", f"## Failing cases ({len(failing)})", ""]
    if failing:
        lines += ["| case | question | why | diagnosis |", "|---|---|---|---|"]
        for c in failing:
            q = c["question"] if len(c["turns"]) < 2 else " → ".join(c["turns"])
            lines.append(f"| {c['id']} | {_md(q)} | {_md('; '.join(c['failures']))} | {_md(c['diagnosis'])} |")
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_summary_md(data: dict[str, Any], path: Path) -> None:
    path.write_text(summary_markdown(data), encoding="utf-8")


# ----------------------------------------------------------------------------- html pieces
def e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


CSS = """
:root{--ok:#1a7f37;--warn:#b26b00;--bad:#c62828;--ink:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--accent:#0b57d0}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);font-size:13px}.meta code{font-size:12px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin:18px 0}
.kpi{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--bg)}
.kpi .v{font-size:26px;font-weight:650}.kpi .l{color:var(--muted);font-size:12px}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.gate{border-radius:8px;padding:10px 14px;margin:12px 0;border:1px solid}.gate.pass{border-color:var(--ok);background:#eef8f0}.gate.fail{border-color:var(--bad);background:#fdecec}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px;align-items:start}
details.case{border:1px solid var(--line);border-radius:8px;margin:6px 0;background:#fff}
details.case>summary{cursor:pointer;padding:7px 10px;list-style:none;display:flex;gap:10px;align-items:baseline}
details.case>summary::-webkit-details-marker{display:none}
details.case[open]>summary{border-bottom:1px solid var(--line);background:var(--bg)}
.badge{display:inline-block;min-width:42px;text-align:center;border-radius:10px;font-size:11px;font-weight:700;padding:1px 7px;color:#fff}
.badge.pass{background:var(--ok)}.badge.fail{background:var(--bad)}
.cid{font-family:ui-monospace,monospace;font-size:12px;color:var(--muted)}
.tag{display:inline-block;background:#eef2f7;border-radius:9px;padding:0 7px;font-size:11px;margin-left:3px;color:#3d4650}
.body{padding:10px 14px}.body h4{margin:12px 0 4px;font-size:13px}
.answer{background:var(--bg);border-left:3px solid var(--accent);padding:8px 10px;white-space:pre-wrap}
.why{color:var(--bad);font-weight:600}.diag{color:var(--warn)}
ul.plain{margin:4px 0;padding-left:18px}.muted{color:var(--muted)}
.mgrid{display:grid;grid-template-columns:repeat(6,1fr);gap:4px 12px;font-size:12px}
.mgrid div span{color:var(--muted)}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
"""


def _color(value: float | None) -> str:
    if value is None:
        return "#aab4be"
    return "#2da44e" if value >= 0.8 else ("#d4a72c" if value >= 0.5 else "#e5534b")


def _cls(value: float | None) -> str:
    if value is None:
        return "muted"
    return "ok" if value >= 0.8 else ("warn" if value >= 0.5 else "bad")


def metric_bars_svg(metrics: dict[str, dict[str, Any]], k: int, width: int = 1140) -> str:
    """One horizontal bar (0..1) per metric, with its value and the number of cases behind it."""
    row, left, right = 24, 200, 110
    plot = width - left - right
    height = row * len(metrics) + 30
    parts = [
        f'<svg role="img" aria-label="metric bars" width="100%" style="max-width:{width}px" viewBox="0 0 {width} {height}">'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + plot * tick
        parts.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}" stroke="#e6e9ed"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10" fill="#656d76" text-anchor="middle">{tick:g}</text>')
    for i, (name, entry) in enumerate(metrics.items()):
        y = 6 + i * row
        value = entry["value"]
        definition = DEFINITIONS[name][1]
        parts.append(f"<g><title>{e(_label(name, k))}: {e(definition)}</title>")
        parts.append(f'<text x="{left - 8}" y="{y + 13}" font-size="12" text-anchor="end" fill="#1f2328">{e(_label(name, k))}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{plot}" height="15" fill="#f1f3f5" rx="3"/>')
        if value is not None:
            parts.append(f'<rect x="{left}" y="{y + 2}" width="{plot * max(0.0, min(1.0, value)):.1f}" height="15" fill="{_color(value)}" rx="3"/>')
        label = "n/a" if value is None else f"{value:.3f}"
        parts.append(f'<text x="{left + plot + 8}" y="{y + 14}" font-size="12" fill="#1f2328">{label} <tspan fill="#656d76" font-size="10">n={entry["n"]}</tspan></text></g>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(values: list[float], width: int = 520, height: int = 220, bins: int = 12, unit: str = "ms") -> str:
    """A histogram of ``values`` with labelled axes."""
    if not values:
        return '<p class="muted">No timings.</p>'
    lo, hi = 0.0, max(values)
    step = _nice_step(hi / bins) if hi > 0 else 1.0
    bins = max(1, math.ceil(hi / step)) if hi > 0 else 1
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) // step))] += 1
    left, bottom, top, right = 40, 36, 10, 28
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max(counts) or 1
    bar_w = plot_w / bins
    parts = [f'<svg role="img" aria-label="latency histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for t in range(0, peak + 1, max(1, math.ceil(peak / 4))):
        y = top + plot_h - plot_h * t / peak
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eef0f2"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#656d76">{t}</text>')
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#5b8def">'
            f"<title>{ms(i * step)}–{ms((i + 1) * step)} {unit}: {c} case(s)</title></rect>"
        )
    label_every = max(1, math.ceil(bins / 6))
    for i in range(0, bins + 1, label_every):
        x = left + i * bar_w
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle" fill="#656d76">{ms(i * step)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#8c959f"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle" fill="#1f2328">total time per case ({unit})</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def mini_bar(value: float | None, width: int = 90) -> str:
    fill = 0 if value is None else width * max(0.0, min(1.0, value))
    return (
        f'<svg width="{width}" height="10" viewBox="0 0 {width} 10"><rect width="{width}" height="10" rx="2" fill="#f1f3f5"/>'
        f'<rect width="{fill:.1f}" height="10" rx="2" fill="{_color(value)}"/></svg>'
    )


def tag_bars_svg(by_tag: dict[str, dict[str, Any]], width: int = 520) -> str:
    """Pass rate per tag as bars, with passed/total."""
    row, left, right = 22, 150, 70
    plot = width - left - right
    height = row * len(by_tag) + 8
    parts = [f'<svg role="img" aria-label="pass rate by tag" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (tag, t) in enumerate(by_tag.items()):
        y = 4 + i * row
        value = t["metrics"]["pass_rate"]["value"]
        parts.append(f'<text x="{left - 8}" y="{y + 12}" font-size="12" text-anchor="end">{e(tag)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 1}" width="{plot}" height="14" rx="3" fill="#f1f3f5"/>')
        parts.append(f'<rect x="{left}" y="{y + 1}" width="{plot * (value or 0):.1f}" height="14" rx="3" fill="{_color(value)}"/>')
        parts.append(f'<text x="{left + plot + 6}" y="{y + 12}" font-size="11" fill="#656d76">{t["passed"]}/{t["cases"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _source_label(s: Any) -> str:
    return s if isinstance(s, str) else f"{s['doc']} p.{s['page']}"


def retrieved_heading(rows: int, k: int) -> str:
    """The heading of a case's retrieved table, true to its rows: retrieval takes the top ``k`` chunks, then
    merges neighbouring chunks of one page into one passage, so a table can hold fewer than ``k`` rows."""
    if rows >= k:
        return f"Retrieved for the searched query (top {k})"
    return (f"Retrieved for the searched query: {rows} passage{'s' if rows != 1 else ''} from the top {k} chunks "
            "(neighbouring chunks of one page read as one passage; a filter or a small index can also give fewer)")


def _case_html(c: dict[str, Any], k: int) -> str:
    status = "pass" if c["passed"] else "fail"
    tags = "".join(f'<span class="tag">{e(t)}</span>' for t in c["tags"])
    role = f'<span class="tag">role: {e(c["role"])}</span>' if c["role"] != "public" else ""
    expected_note = " · should decline" if c["should_decline"] else ""
    out = [
        f'<details class="case" id="case-{e(c["id"])}"><summary><span class="badge {status}">{status.upper()}</span>'
        f'<span class="cid">{e(c["id"])}</span><span>{e(c["question"])}</span>{tags}{role}'
        f'<span class="muted">{"declined" if c["declined"] else "answered"}{expected_note}</span></summary><div class="body">'
    ]
    if c["failures"]:
        out.append(f'<div class="why">✗ {e("; ".join(c["failures"]))}</div>')
    if c.get("diagnosis"):
        out.append(f'<div class="diag">Diagnosis: {e(c["diagnosis"])}</div>')
    if len(c["turns"]) > 1:
        out.append("<h4>Conversation</h4><ol>" + "".join(f"<li>{e(t)}</li>" for t in c["turns"]) + "</ol>")
    if c.get("searched_for") and c["searched_for"] != c["question"]:
        out.append(f'<h4>Searched for</h4><div><code>{e(c["searched_for"])}</code></div>')
    out.append(f'<h4>Answer</h4><div class="answer">{e(c["answer"]) or "<span class=muted>(none)</span>"}</div>')
    if c.get("error"):
        out.append(f'<div class="why">Error: {e(c["error"])}</div>')
    if c["declined"] and c.get("closest_sources"):
        out.append("<h4>Closest sources shown with the decline</h4><ul class=plain>")
        for cit in c["closest_sources"]:
            out.append(f'<li><code>{e(cit["doc_id"])}</code> — <span class="muted">“{e(cit["quote"])}”</span></li>')
        out.append("</ul>")
    if c["citations"]:
        out.append("<h4>Citations</h4><ul class=plain>")
        for cit in c["citations"]:
            page = f", p.{cit['page']}" if cit.get("page") else ""
            out.append(f'<li>[{cit["n"]}] <code>{e(cit["doc_id"])}</code>{e(page)} — <span class="muted">“{e(cit["quote"])}”</span></li>')
        out.append("</ul>")
    if c.get("reference_answer"):
        out.append(f'<h4>Reference answer</h4><div class="muted">{e(c["reference_answer"])}</div>')
    if c["facts"]:
        out.append("<h4>Expected facts</h4><ul class=plain>")
        for f in c["facts"]:
            mark = '<span class="ok">✓</span>' if f["found"] else '<span class="bad">✗</span>'
            out.append(f"<li>{mark} {' | '.join(e(a) for a in f['alternatives'])}</li>")
        out.append("</ul>")
    if c["expected_sources"]:
        out.append("<h4>Expected sources</h4><div>" + ", ".join(f"<code>{e(_source_label(s))}</code>" for s in c["expected_sources"]) + "</div>")
    if c["forbidden_sources"]:
        out.append("<h4>Forbidden sources</h4><div>" + ", ".join(f"<code>{e(s)}</code>" for s in c["forbidden_sources"]) + "</div>")
    if c["retrieved"]:
        from evals.suite import ExpectedSource, source_matches

        expected = [ExpectedSource(s) if isinstance(s, str) else ExpectedSource(s["doc"], s.get("page")) for s in c["expected_sources"]]
        out.append(f"<h4>{e(retrieved_heading(len(c['retrieved']), k))}</h4><table><tr><th class=n>#</th><th>document</th><th class=n>page</th><th class=n>score</th><th></th></tr>")
        for r in c["retrieved"]:
            hit = any(s.matches_doc(r["doc_id"]) for s in expected)
            bad = any(source_matches(f, r["doc_id"]) for f in c["forbidden_sources"])
            mark = '<span class="bad">forbidden</span>' if bad else ('<span class="ok">expected</span>' if hit else "")
            out.append(
                f'<tr><td class=n>{r["rank"]}</td><td><code>{e(r["doc_id"])}</code></td><td class=n>{e(r["page"] or "")}</td>'
                f'<td class=n>{r["score"]:.4f}</td><td>{mark}</td></tr>'
            )
        out.append("</table>")
    elif not c.get("error"):
        out.append("<h4>Retrieved</h4><div class=muted>nothing</div>")
    out.append("<h4>Metrics</h4><div class=mgrid>")
    for name, value in c["metrics"].items():
        if value is not None:
            out.append(f'<div><span>{e(_label(name, k))}</span> <b class="{_cls(value)}">{value:.2f}</b></div>')
    out.append("</div>")
    if c.get("notices"):
        out.append("<h4>Notices</h4><ul class=plain>" + "".join(f"<li>{e(n)}</li>" for n in c["notices"]) + "</ul>")
    if c.get("timings"):
        out.append('<h4>Timings (ms)</h4><div class="muted">' + ", ".join(f"{e(s.removesuffix('_ms'))} {ms(v)}" for s, v in c["timings"].items()) + "</div>")
    if c.get("notes"):
        out.append(f'<h4>Notes</h4><div class="muted">{e(c["notes"])}</div>')
    out.append("</div></details>")
    return "".join(out)


def report_html(data: dict[str, Any]) -> str:
    s = data["summary"]
    k = data["k"]
    m = s["metrics"]
    title = f"Eval report: {_title(data)}"
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
        f'<div class="meta">{e(data["created_at"])} · {s["cases"]} cases · commit <code>{e(data["git_commit"][:12])}</code> · '
        f'settings <code>{e(data["settings_hash"])}</code> · index <code>{e(data["index_version"])}</code> · backend <code>{e(data["backend"])}</code> · '
        f'k = {k} · answer_min_score = {e(data["settings"]["answer_min_score"])}'
        + (f' · documents <code>{e(data["docs"]["docs"])}</code>' if data.get("docs") else "")
        + (f' · role override <code>{e(data["role_override"])}</code>' if data.get("role_override") else "")
        + "</div>",
        '<div class="kpis">',
    ]
    for name in KPIS:
        value = m[name]["value"]
        parts.append(f'<div class="kpi"><div class="v {_cls(value)}">{pct(value)}</div><div class="l">{e(_label(name, k))} · n={m[name]["n"]}</div></div>')
    parts.append("</div>")
    if data.get("gate"):
        ok = all(g["ok"] for g in data["gate"])
        items = "".join(
            f'<li>{"✓" if g["ok"] else "✗"} {e(g["metric"])} = {fmt(g["value"])} (minimum {g["min"]})</li>' for g in data["gate"]
        )
        parts.append(f'<div class="gate {"pass" if ok else "fail"}"><b>Gate {"passed" if ok else "FAILED"}</b><ul class=plain>{items}</ul></div>')

    parts.append("<h2>Metrics</h2>")
    parts.append(metric_bars_svg(m, k))
    parts.append('<table><tr><th>metric</th><th class=n>value</th><th class=n>cases</th><th>definition</th></tr>')
    for name, entry in m.items():
        parts.append(
            f'<tr><td>{e(_label(name, k))}</td><td class="n {_cls(entry["value"])}">{fmt(entry["value"])}</td>'
            f'<td class=n>{entry["n"]}</td><td>{e(DEFINITIONS[name][1])}</td></tr>'
        )
    parts.append("</table>")

    parts.append('<h2>Latency and tags</h2><div class="grid2"><div>')
    totals = [c["timings"]["total_ms"] for c in data["cases"] if c.get("timings", {}).get("total_ms") is not None]
    parts.append(histogram_svg(totals))
    parts.append('<table><tr><th>stage</th><th class=n>p50 ms</th><th class=n>p95 ms</th><th class=n>max ms</th></tr>')
    for stage, st in s["latency_ms"].items():
        parts.append(f'<tr><td>{e(stage.removesuffix("_ms"))}</td><td class=n>{ms(st["p50"])}</td><td class=n>{ms(st["p95"])}</td><td class=n>{ms(st["max"])}</td></tr>')
    parts.append(f'</table><p class="muted">{e(LATENCY_DEFINITION)}</p></div><div>')
    parts.append(tag_bars_svg(s["by_tag"]))
    parts.append("<table><tr><th>tag</th><th class=n>pass</th>" + "".join(f"<th class=n>{e(_label(c, k))}</th>" for c in TAG_COLUMNS) + "</tr>")
    for tag, t in s["by_tag"].items():
        cells = "".join(f'<td class="n {_cls(t["metrics"][c]["value"])}">{fmt(t["metrics"][c]["value"], 2)}</td>' for c in TAG_COLUMNS)
        parts.append(f"<tr><td>{e(tag)}</td><td class=n>{t['passed']}/{t['cases']}</td>{cells}</tr>")
    parts.append("</table></div></div>")

    failing = [c for c in data["cases"] if not c["passed"]]
    parts.append(f"<h2>Failing cases ({len(failing)})</h2>")
    if failing:
        parts.append("<table><tr><th>case</th><th>question</th><th>why</th><th>diagnosis</th></tr>")
        for c in failing:
            q = " → ".join(c["turns"]) if len(c["turns"]) > 1 else c["question"]
            parts.append(
                f'<tr><td><a href="#case-{e(c["id"])}"><code>{e(c["id"])}</code></a></td><td>{e(q)}</td>'
                f'<td class="bad">{e("; ".join(c["failures"]))}</td><td class="muted">{e(c["diagnosis"])}</td></tr>'
            )
        parts.append("</table>")
    else:
        parts.append('<p class="ok">Every case passed.</p>')

    parts.append(f"<h2>All cases ({len(data['cases'])})</h2>")
    parts.extend(_case_html(c, k) for c in data["cases"])
    suites = "; ".join(f"{s_['path']} (sha256 {s_['sha256'][:12]})" for s_ in data["suites"])
    parts.append(f'<p class="meta" style="margin-top:30px">Suites: {e(suites)}. Index: {e(data["index_dir"])}.</p>')
    parts.append("</main></body></html>")
    return "\n".join(parts)


def write_html(data: dict[str, Any], path: Path) -> None:
    path.write_text(report_html(data), encoding="utf-8")
