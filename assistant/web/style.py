"""The look of the Gradio UI: its CSS and theme (system fonts only: nothing is fetched from a font service)."""

from __future__ import annotations


def theme():
    """Blue accents and the reader's own system fonts (nothing fetched from a font service)."""
    import gradio as gr

    return gr.themes.Default(primary_hue="blue", font=["system-ui", "ui-sans-serif", "Segoe UI", "Roboto", "sans-serif"],
                             font_mono=["ui-monospace", "SFMono-Regular", "Consolas", "monospace"])


CSS = """
.gradio-container {max-width: 1100px !important; width: 100% !important; margin: 0 auto !important}
/* Gradio scopes rules inside @media to its content area, so the outer padding shrinks with clamp() instead */
.gradio-container .main.app {padding-left: clamp(6px, 5vw - 14px, 32px) !important; padding-right: clamp(6px, 5vw - 14px, 32px) !important}
.pa-header h1 {font-size: 1.4rem; margin: .2rem 0}
.pa-header p {margin: .15rem 0}
.pa-who {font-size: .9rem; color: var(--body-text-color-subdued)}
.pa-lead {font-size: .95rem}
.pa-warn {color: #b45309}
.pa-q {white-space: pre-wrap}
.pa-answer p {margin: .3rem 0}
.pa-searched {font-size: .85rem; color: var(--body-text-color-subdued)}
.pa-status {font-style: italic; color: var(--body-text-color-subdued)}
a.pa-cite {font-weight: 600; text-decoration: none; padding: 0 .1rem; border-radius: 3px}
a.pa-cite:hover, a.pa-cite:focus {text-decoration: underline; outline: 2px solid var(--color-accent-soft)}
.pa-unsupported {color: #b45309; font-size: .85em}
.pa-notice {border-left: 4px solid #d97706; background: rgba(217,119,6,.08); padding: .5rem .75rem; border-radius: 4px}
.pa-notices {font-size: .85rem; color: var(--body-text-color-subdued); margin: .3rem 0 .3rem 1.1rem; padding: 0}
.pa-sources {margin-top: .6rem}
.pa-sources-h {font-weight: 600; font-size: .9rem; margin-bottom: .25rem !important}
.pa-source {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .4rem 0;
            background: var(--background-fill-secondary); scroll-margin-top: 1rem}
.pa-source:target {outline: 3px solid var(--color-accent); outline-offset: 1px}
.pa-meta {font-size: .8rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere}
.pa-passage {margin: .35rem 0 !important; padding: .1rem 0 .1rem .6rem !important; border-left: 3px solid var(--border-color-accent);
             font-size: .88rem; overflow-wrap: anywhere}
.pa-passage mark {background: #fde68a; color: #111; padding: 0 .1rem}
.pa-open {font-size: .85rem}
.pa-error {color: #b91c1c}
.pa-placeholder {text-align: center; opacity: .85}
#pa-ask-row {align-items: stretch; gap: .5rem}
.pa-table-wrap {overflow-x: auto}
table.pa-docs {width: 100%; border-collapse: collapse; font-size: .9rem; border: 0 !important}
table.pa-docs a, .pa-answer a {padding: 0 !important}
table.pa-docs tr {border: 0 !important}
table.pa-docs caption {text-align: left; font-size: .85rem; color: var(--body-text-color-subdued); padding: .3rem 0}
table.pa-docs th, table.pa-docs td {text-align: left; padding: .45rem .5rem; border: 0 !important;
                                    border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top}
table.pa-docs td.num {text-align: right}
.pa-id {font-size: .75rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere}
.pa-empty {color: var(--body-text-color-subdued)}
@media (max-width: 640px) {
  .pa-header h1 {font-size: 1.15rem}
  .pa-header {padding-left: 30px}  /* clear of the conversations panel's toggle */
  .pa-lead {display: none}
  table.pa-docs thead {display: none}
  table.pa-docs caption {display: block; width: 100%}
  table.pa-docs, table.pa-docs tbody, table.pa-docs tr {display: block; width: 100%}
  table.pa-docs tr {padding: .5rem 0; border-bottom: 1px solid var(--border-color-primary)}
  table.pa-docs td {display: inline-block; border: 0 !important; padding: .1rem .6rem .1rem 0; font-size: .8rem}
  table.pa-docs td.pa-doc-title {display: block; font-size: .95rem}
  table.pa-docs td[data-label]::before {content: attr(data-label) ": "; color: var(--body-text-color-subdued)}
  #pa-ask-row {flex-wrap: wrap}
  #pa-question {min-width: 100% !important; flex-basis: 100% !important}
  #pa-ask-row > button {flex: 1 1 40% !important}
}
#pa-top {align-items: flex-start; flex-wrap: nowrap}
/* the selector's width is set on Gradio's form wrapper around it (the selector itself fills it: sized on its own it
   overflowed the wrapper by 20px, past the page's edge on the right, or on the left in Arabic) */
#pa-top > .form:has(#pa-lang) {flex: 0 0 170px !important; min-width: 150px !important}
@media (max-width: 640px) {#pa-top > .form:has(#pa-lang) {flex-basis: 130px !important; min-width: 120px !important}}
#pa-lang {flex: 1 1 auto !important; min-width: 0 !important}
/* Right-to-left (Arabic): the header says so (data-dir, re-rendered with each language), which turns the
   app's content right to left at once (a script also sets dir="rtl" on it); the rules that name a side are mirrored */
[dir=rtl] {direction: rtl}
[dir=rtl] .pa-header {text-align: right}
[dir=rtl] table.pa-docs caption, [dir=rtl] table.pa-docs th, [dir=rtl] table.pa-docs td,
[dir=rtl] .pa-elig-table th, [dir=rtl] .pa-elig-table td {text-align: right}
[dir=rtl] table.pa-docs td.num {text-align: left}
[dir=rtl] .pa-notice {border-left: 0; border-right: 4px solid #d97706}
[dir=rtl] .pa-notices {margin: .3rem 1.1rem .3rem 0}
[dir=rtl] .pa-reasons {padding-left: 0; padding-right: 18px}
/* quotes stay in the documents' language: each paragraph takes the direction (and the alignment) of its own text */
[dir=rtl] .pa-passage {border-left: 0; border-right: 3px solid var(--border-color-accent); padding: .1rem .6rem .1rem 0 !important;
                       unicode-bidi: plaintext; text-align: start}
[dir=rtl] .pa-q, [dir=rtl] .pa-clause, [dir=rtl] .pa-text, [dir=rtl] .pa-title {unicode-bidi: plaintext; text-align: start}
@media (max-width: 640px) {[dir=rtl] .pa-header {padding-left: 0} [dir=rtl] #pa-top {padding-left: 30px}}
.pa-elig-table {width: 100%; border-collapse: collapse}
.pa-elig-table th, .pa-elig-table td {text-align: left; vertical-align: top; padding: 8px; border-bottom: 1px solid #e5e7eb}
.pa-verdict {font-weight: 600; padding: 2px 8px; border-radius: 10px; white-space: nowrap}
.pa-yes {background: #dcfce7; color: #166534} .pa-no {background: #fee2e2; color: #991b1b} .pa-maybe {background: #fef9c3; color: #854d0e}
.pa-reasons {margin: 0; padding-left: 18px} .pa-clause {font-style: italic}
@media (max-width: 600px) {.pa-elig-table thead {display: none} .pa-elig-table td {display: block; border: 0; padding: 4px 0}
  .pa-elig-table tr {display: block; border-bottom: 1px solid #e5e7eb; padding: 8px 0}}
"""
# "[dir=rtl] " above: inside the app's content when its header says right to left (no wait for the script)
RTL_SCOPE = ".gradio-container:has(.pa-header[data-dir=rtl])"
CSS = CSS.replace("[dir=rtl] ", RTL_SCOPE + " ")
