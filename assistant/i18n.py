"""Interface and answer strings in the reader's language.

Each ``locales/<code>.yaml`` holds one language's strings under flat keys ("ask.button",
"verdict.eligible", "answer.decline"); ``locales/extra.yaml`` adds languages that have only
the answer strings (the lead before quoted English sentences, the decline message). English is
the reference: a key missing in a language falls back to it, so a new key never shows a hole.

:func:`t` formats one string; :func:`pick_language` reads a browser's Accept-Language
header; :func:`gradio_translations` gives the dict ``gr.I18n(**...)`` takes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from assistant.yamlfile import load_yaml

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "en"
UI_LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh", "vi")  # the full interface


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Language code -> {key: text}, every language completed from English."""
    tables: dict[str, dict] = {}
    for path in sorted(LOCALES.glob("*.yaml")):
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        if path.stem == "extra":
            tables.update(data)
        else:
            tables[path.stem] = data
    english = tables[DEFAULT]
    out = {}
    for code, table in tables.items():
        meta = table.get("meta") or {}
        merged = {k: str(v) for k, v in {**english, **table}.items() if k != "meta"}
        merged["meta.name"] = str(meta.get("name", code))
        merged["meta.dir"] = str(meta.get("dir", "ltr"))
        out[code] = merged
    return out


def base(code: str | None) -> str:
    """'pt-BR' -> 'pt', 'zh_Hans' -> 'zh'; unknown or empty -> English."""
    short = re.split(r"[-_]", (code or "").strip().lower())[0]
    return short if short in catalogue() else DEFAULT


def t(key: str, lang: str | None = DEFAULT, **values) -> str:
    """The string ``key`` in ``lang`` (English when that language lacks it), with ``{name}`` fields filled."""
    table = catalogue()[base(lang)]
    text = table.get(key)
    if text is None:
        text = catalogue()[DEFAULT].get(key, key)
    return text.format(**values) if values else text


def verdict(word: str, lang: str | None = DEFAULT) -> str:
    """'eligible' / 'not eligible' / 'depends' in the reader's language."""
    return t(f"verdict.{word}", lang)


def is_rtl(lang: str | None) -> bool:
    return catalogue()[base(lang)]["meta.dir"] == "rtl"


def languages(full_only: bool = True) -> list[tuple[str, str]]:
    """(code, own name) of the interface languages, for a selector."""
    codes = UI_LANGUAGES if full_only else tuple(catalogue())
    return [(code, catalogue()[code]["meta.name"]) for code in codes]


def pick_language(accept_language: str | None, supported: tuple[str, ...] = UI_LANGUAGES) -> str:
    """The best supported language for an HTTP Accept-Language header ('fr-CH, fr;q=0.9, en;q=0.8').

    Quality values are honoured, regional variants fall back to their language, '*' and
    unknown tags are ignored; nothing usable gives English.
    """
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q\s*=\s*([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        code = re.split(r"[-_]", tag.strip().lower())[0]
        if code and code != "*" and q > 0 and code in supported:
            choices.append((-q, i, code))
    return min(choices)[2] if choices else DEFAULT


def gradio_translations(keys: tuple[str, ...] | None = None) -> dict[str, dict[str, str]]:
    """{language: {key: text}} for ``gr.I18n(**gradio_translations())`` (interface languages only)."""
    out = {}
    for code in UI_LANGUAGES:
        table = catalogue()[code]
        out[code] = {k: v for k, v in table.items() if not k.startswith("meta.") and (keys is None or k in keys)}
    return out


@cache
def _english_patterns(prefix: str) -> tuple[tuple[str, re.Pattern], ...]:
    """(key, regex) for each English string whose key starts with ``prefix``: its ``{fields}`` become named
    groups (never spanning a ';', which joins reasons); the strings with the most fixed words first."""
    found = []
    for key, text in catalogue()[DEFAULT].items():
        if key.startswith(prefix):
            rx = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^;]+?)", re.escape(text))
            found.append((len(re.sub(r"\{\w+\}", "", text)), key, re.compile(f"^{rx}$")))
    return tuple((key, rx) for _, key, rx in sorted(found, key=lambda f: -f[0]))


def from_english(text: str, prefix: str, lang: str | None, rename=None) -> str | None:
    """``text``, written by the engine from one of the English strings under ``prefix``, re-written in
    ``lang`` with the same field values, or each as ``rename(field, value)`` gives it (None when no such
    string produced the text)."""
    for key, rx in _english_patterns(prefix):
        if m := rx.match(text):
            values = m.groupdict()
            return t(key, lang, **({k: rename(k, v) for k, v in values.items()} if rename else values))
    return None


def reasons(text: str, lang: str | None, rename=None) -> str:
    """Eligibility reasons as the engine joins them ('a; b') in ``lang``: each reason re-written from its
    ``reason.*`` string (``rename``: see :func:`from_english`); a part no string produced stays as it is."""
    if base(lang) == DEFAULT or not text:
        return text
    parts, out, i = text.split("; "), [], 0
    while i < len(parts):
        for j in range(i + 1, len(parts) + 1):  # the shortest run of parts that is one reason ("a; b" reasons exist)
            got = from_english("; ".join(parts[i:j]), "reason.", lang, rename)
            if got is not None:
                out.append(got)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return "; ".join(out)
