"""HTML for the UI: answers with linked source cards, document lists, eligibility tables.

Pure functions. Every piece of document or user text goes through ``html.escape`` before
it is put into HTML, so a ``<script>`` in a document or a question shows as text.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any

from assistant.i18n import t as tr
from assistant.types import DOC_TYPES
from assistant.web.context import file_url

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_END = re.compile(r"\s*\[\d+\]\.?$")
_CONTEXT_CHARS = 200  # characters of the chunk shown either side of the quoted passage


# --- HTML rendering (pure functions) --------------------------------------------------------
def esc(text: Any) -> str:
    """Escape for HTML and flatten newlines (a blank line would end the chatbot's HTML block)."""
    return html.escape(" ".join(str(text or "").split()))


def label(value: str) -> str:
    return str(value or "").replace("_", " ").replace("-", " ").strip().capitalize()


def highlight(passage: str, quote: str | list[str] | tuple[str, ...]) -> str:
    """The chunk text around the quoted sentences, escaped, each quote inside ``<mark>``."""
    text = " ".join((passage or "").split())
    wanted = [" ".join(q.split()) for q in ([quote] if isinstance(quote, str) else quote) if q and q.strip()]
    spans = []
    for q in wanted:
        start = text.find(q)
        if start < 0:
            start = text.lower().find(q.lower())
        if start >= 0:
            spans.append((start, start + len(q)))
    if not spans:
        body = text if len(text) <= 2 * _CONTEXT_CHARS else text[: 2 * _CONTEXT_CHARS] + "…"
        marks = " ".join(f"<mark>{esc(q)}</mark>" for q in wanted)
        ctx = f" <span class='pa-ctx'>{esc(body)}</span>" if body else ""
        return marks + ctx if marks else esc(body)
    spans.sort()
    lo, hi = max(0, spans[0][0] - _CONTEXT_CHARS), min(len(text), spans[-1][1] + _CONTEXT_CHARS)
    # text is already on one line; html.escape keeps the spaces at the edges of each piece (esc would strip them)
    out, pos = ["…" if lo else ""], lo
    for start, end in spans:
        if start < pos:  # overlapping quotes: extend the mark already open
            start = pos
        out.append(html.escape(text[pos:start]) + f"<mark>{html.escape(text[start:end])}</mark>")
        pos = max(pos, end)
    out.append(html.escape(text[pos:hi]) + ("…" if hi < len(text) else ""))
    return "".join(out)


def source_card(c, anchor: str, lang: str | None = None) -> str:
    page = " · " + esc(tr("answer.page", lang, n=int(c.page))) if c.page else ""
    url = html.escape(file_url(c.doc_id, c.page), quote=True)
    pdf_page = c.page and c.doc_id.lower().endswith(".pdf")
    link = esc(tr("answer.open_page", lang, n=int(c.page)) if pdf_page else tr("answer.open", lang))
    return (
        f'<div class="pa-source" id="{anchor}" tabindex="-1">'
        f'<div class="pa-source-head"><span class="pa-n">[{int(c.n)}]</span> <strong class="pa-title">{esc(c.title)}</strong></div>'
        f'<div class="pa-meta">{esc(label(c.doc_type) or tr("answer.document", lang))}{page} · <code>{esc(c.doc_id)}</code></div>'
        f'<blockquote class="pa-passage">{highlight(c.passage, c.quotes or c.quote)}</blockquote>'
        f'<a class="pa-open" href="{url}" target="_blank" rel="noopener">{link} ↗</a></div>'
    )


def render_user(question: str) -> str:
    return f'<div class="pa-q">{esc(question)}</div>'


def _searched(searched_for: str | None, lang: str | None) -> str:
    return f'<p class="pa-searched">{esc(tr("answer.searched_for", lang))} <em>{esc(searched_for)}</em></p>' if searched_for else ""


def render_status(text: str, searched_for: str | None = None, lang: str | None = None) -> str:
    searched = _searched(searched_for, lang)
    return f'<div class="pa-answer">{searched}<p class="pa-status" role="status">{esc(text)}</p></div>'


def render_draft(text: str, searched_for: str | None = None, lang: str | None = None) -> str:
    searched = _searched(searched_for, lang)
    return f'<div class="pa-answer">{searched}<p class="pa-text pa-draft">{esc(text)}</p></div>'


def render_error(text: str, lang: str | None = None) -> str:
    return (f'<div class="pa-answer pa-error" role="alert"><p><strong>{esc(tr("answer.something_wrong", lang))}</strong> '
            f'{esc(text)}</p></div>')


def render_answer(answer, anchor_prefix: str, lang: str | None = None) -> str:
    """Answer text with ``[n]`` linked to source cards below it; or the declined notice with the closest sources.
    ``lang``: the language of the card's own words (headings, links), the reader's."""
    parts = ['<div class="pa-answer' + (' pa-declined' if answer.declined else '') + '">']
    if answer.searched_for and answer.searched_for != answer.question:
        parts.append(_searched(answer.searched_for, lang))
    numbers = {c.n for c in answer.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        name = esc(tr("answer.source_n", lang, n=n))
        return f'<a class="pa-cite" href="#{anchor_prefix}-{n}" aria-label="{name}">[{n}]</a>'

    table = None if answer.declined or answer.kind != "eligibility" else eligibility_rows(answer)
    if answer.declined:
        parts.append(f'<div class="pa-notice" role="note"><strong>{esc(tr("answer.not_answered", lang))}</strong> ' + esc(answer.text) + "</div>")
    elif table:
        parts.append(f'<p class="pa-text">{esc(answer.text.split(chr(10))[0])}</p>' + render_eligibility_rows(table, link, lang))
    else:
        flag = f'<span class="pa-unsupported">[{esc(tr("answer.unsupported", lang))}]</span>'
        text = _MARKER.sub(link, esc(answer.text)).replace("[unsupported]", flag)
        parts.append(f'<p class="pa-text">{text}</p>')
    notices = [n for n in answer.notices if not n.startswith("Declined:")]
    if notices:
        parts.append('<ul class="pa-notices">' + "".join(f"<li>{esc(n)}</li>" for n in notices) + "</ul>")
    sources = answer.closest if answer.declined else answer.citations
    if sources:
        heading = tr("answer.closest" if answer.declined else "answer.sources", lang)
        parts.append(f'<div class="pa-sources"><p class="pa-sources-h">{esc(heading)}</p>')
        parts.extend(source_card(c, f"{anchor_prefix}-{c.n}", lang) for c in sources)
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


_ROW = re.compile(r"^(?P<title>.+?): (?P<verdict>eligible|depends|not eligible) - (?P<reason>.*?)\s*\[(?P<n>\d+)\]\.?$")


def eligibility_rows(answer) -> list[dict[str, str]] | None:
    """The rows of an eligibility answer (title, verdict, reason, source number), or None when a line is
    not in the engine's 'Title: verdict - reason [n].' form (then the answer shows as plain text)."""
    rows = []
    lines = answer.text.split("\n")[1:]  # the same lines, their verdicts in the reader's language
    for i, s in enumerate(answer.sentences[1:]):
        m = _ROW.match(" ".join(s.text.split()))
        if not m:
            return None
        row = m.groupdict()
        shown = lines[i] if i < len(lines) else ""
        prefix = f"- {row['title']}: "
        row["label"] = row["verdict"]
        if shown.startswith(prefix):  # the verdict and the reasons as the reader's language shows them
            row["label"], _, reason = shown[len(prefix):].partition(" - ")
            row["reason"] = _MARKER_END.sub("", reason) or row["reason"]
        rows.append(row)
    return rows or None


def render_eligibility_rows(rows: list[dict[str, str]], link, lang: str | None = None) -> str:
    """A compact table for an eligibility answer in the chat: programme, verdict, the reason, its one source."""
    cols = [esc(tr(key, lang)) for key in ("elig.col_programme", "elig.col_verdict", "elig.col_reason", "elig.col_source")]
    body = "".join(
        f"<tr><td data-label='{cols[0]}'><strong>{esc(r['title'])}</strong></td>"
        f"<td data-label='{cols[1]}'><span class='pa-verdict {VERDICT_CLASS.get(r['verdict'], '')}'>{esc(r.get('label') or r['verdict'])}</span></td>"
        f"<td data-label='{cols[2]}'>{esc(r['reason'])}</td>"
        f"<td data-label='{cols[3]}'>{link(_MARKER.match('[' + r['n'] + ']'))}</td></tr>"
        for r in rows)
    head = "".join(f'<th scope="col">{c}</th>' for c in cols)
    return f'<table class="pa-elig-table pa-elig-chat"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def render_documents(docs: list, query: str = "", details: bool = False, lang: str | None = None) -> str:
    """The documents table; ``details`` (admins) adds the index's chunk counts, jargon for other readers.
    ``lang``: the language of the headings and messages (titles and file names stay as they are)."""
    needle = (query or "").strip().lower()
    rows = [d for d in docs if needle in d.title.lower() or needle in d.doc_id.lower()]
    if not rows:
        if docs:
            return f'<p class="pa-empty">{esc(tr("docs.none_match", lang))}</p>'
        message = esc(tr("docs.none_indexed", lang, command="{command}", make="{make}"))
        return '<p class="pa-empty">' + message.format(command="<code>python -m ingest corpus</code>", make="<code>make ingest</code>") + "</p>"
    col = {key: esc(tr(f"docs.col_{key}", lang)) for key in ("title", "type", "audience", "pages", "chunks", "indexed")}
    body = []
    for d in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.indexed_at)) if d.indexed_at else ""
        url = html.escape(file_url(d.doc_id), quote=True)
        body.append(
            f'<tr><td class="pa-doc-title"><a href="{url}" target="_blank" rel="noopener">{esc(d.title)}</a><div class="pa-id">{esc(d.doc_id)}</div></td>'
            f"<td data-label='{col['type']}'>{esc(label(d.doc_type))}</td><td data-label='{col['audience']}'>{esc(d.audience)}</td>"
            f"<td class='num' data-label='{col['pages']}'>{int(d.pages)}</td>"
            + (f"<td class='num' data-label='{col['chunks']}'>{len(d.chunk_ids)}</td>" if details else "") +
            f"<td data-label='{col['indexed']}'>{esc(when)}</td></tr>"
        )
    head = "".join(f"<th scope='col'>{col[key]}</th>" for key in ("title", "type", "audience", "pages", "chunks", "indexed")
                   if details or key != "chunks")
    count = tr("docs.count_of", lang, n=len(rows), total=len(docs)) if needle else tr("docs.count", lang, n=len(docs))
    return (f'<div class="pa-table-wrap"><table class="pa-docs"><caption>{esc(count)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def filter_choices(docs: list) -> dict[str, list[tuple[str, str]]]:
    """Dropdown choices from the manifest metadata of the documents a reader may see."""
    programmes, countries, regions, years, types = set(), set(), set(), set(), set()
    for d in docs:
        meta = d.meta or {}
        if meta.get("programme"):
            programmes.add(meta["programme"])
        countries.update(c for c in meta.get("countries") or [] if c)
        if meta.get("region"):
            regions.add(meta["region"])
        years.update(int(y) for y in meta.get("years") or [])
        types.add(meta.get("doc_type") or d.doc_type)
    anyone = [("Any", "")]
    return {
        "programme": anyone + [(label(p), p) for p in sorted(programmes)],
        "place": anyone + [(c, f"country:{c}") for c in sorted(countries)] + [(f"{r} (region)", f"region:{r}") for r in sorted(regions)],
        "year": anyone + [(str(y), str(y)) for y in sorted(years)],
        "doc_type": anyone + [(label(t), t) for t in DOC_TYPES if t in types],
    }


def make_filters(programme: str | None, place: str | None, year: str | None, doc_type: str | None) -> dict[str, Any]:
    filters: dict[str, Any] = {"programme": programme or None, "doc_type": doc_type or None, "year": int(year) if year else None}
    if place and ":" in place:
        kind, value = place.split(":", 1)
        filters["country" if kind == "country" else "region"] = value
    return {k: v for k, v in filters.items() if v}


VERDICT_CLASS = {"eligible": "pa-yes", "not eligible": "pa-no", "depends": "pa-maybe"}


def render_eligibility(result: dict[str, Any] | None, error: str = "") -> str:
    """A table of programmes: verdict, the reasons, and each reason's verbatim clause with a link to its page."""
    if error:
        return f'<div class="pa-elig pa-error" role="alert">{esc(error)}</div>'
    if not result:
        return '<div class="pa-elig"><p class="pa-muted">Enter a country and a role, then press Check.</p></div>'
    notices = "".join(f'<p class="pa-notice">{esc(n)}</p>' for n in result.get("notices", []))
    rows = []
    for prog in result.get("programmes", []):
        wanted = {"not eligible": "fails", "depends": "uncertain", "eligible": "meets"}[prog["verdict"]]
        reasons = [r for r in prog["reasons"] if r["effect"] == wanted] + [r for r in prog["reasons"] if r["effect"] == "note"]
        items = []
        for r in reasons:
            page = f", page {int(r['page'])}" if r.get("page") else ""
            url = html.escape(file_url(r["doc_id"], r.get("page")), quote=True)
            items.append(
                f"<li>{esc(r['text'])}<br><q class='pa-clause'>{esc(r['clause'])}</q> "
                f"<a class='pa-open' href='{url}' target='_blank' rel='noopener'>{esc(r['title'])}{page} ↗</a></li>"
            )
        since = f" · since {int(prog['since'])}" if prog.get("since") else ""
        rows.append(
            f"<tr><td><strong>{esc(prog['title'])}</strong><div class='pa-meta'>{esc(', '.join(prog.get('format') or []))}{since}</div></td>"
            f"<td><span class='pa-verdict {VERDICT_CLASS.get(prog['verdict'], '')}'>{esc(prog['verdict'])}</span></td>"
            f"<td><ul class='pa-reasons'>{''.join(items)}</ul></td></tr>"
        )
    if not rows:
        return f'<div class="pa-elig">{notices}<p>No programme you may see matches.</p></div>'
    return (
        f'<div class="pa-elig">{notices}<table class="pa-elig-table"><thead><tr><th>Programme</th><th>Verdict</th>'
        f'<th>Why (the clause behind it)</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
