"""The sign-in page: plain HTML, no script, every value escaped."""

from __future__ import annotations

import html

from assistant import i18n


def login_html(error: str = "", name: str = "", csrf: str = "", lang: str = i18n.DEFAULT) -> str:
    """The sign-in form in ``lang`` (right to left where the language is); ``error``: a message already in it."""
    t = lambda key: html.escape(i18n.t(key, lang))  # noqa: E731
    code, direction = i18n.base(lang), "rtl" if i18n.is_rtl(lang) else "ltr"
    message = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html lang="{code}" dir="{direction}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{t("signin.button")}: {t("app.title")}</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:min(360px,92vw);box-sizing:border-box}}
h1{{font-size:1.25rem;margin:0 0 1rem}} label{{display:block;margin:.75rem 0 .25rem;font-weight:600}}
input{{width:100%;padding:.6rem;font-size:1rem;border:1px solid #bbb;border-radius:6px;box-sizing:border-box}}
button{{margin-top:1.25rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}}
button:focus,input:focus{{outline:3px solid #93c5fd}} .err{{color:#b91c1c}} .hint{{color:#555;font-size:.9rem}}
</style></head><body><main><h1>{t("app.title")}</h1>{message}
<form method="post" action="/login"><input type="hidden" name="csrf" value="{html.escape(csrf)}"><label for="name">{t("signin.name")}</label>
<input id="name" name="name" autocomplete="username" required autofocus value="{html.escape(name)}">
<label for="password">{t("signin.password")}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{t("signin.button")}</button></form>
<p class="hint">{t("signin.hint")}</p></main></body></html>"""



def logout_html(csrf: str) -> str:
    """Asked before signing out when the sign-out link did not come from the app's own page."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign out: programme documents assistant</title>
<style>body{{font-family:system-ui,sans-serif;margin:3rem auto;max-width:360px}} button{{padding:.6rem 1.2rem;font-size:1rem}}</style>
</head><body><main><h1>Sign out?</h1><form method="post" action="/logout">
<input type="hidden" name="csrf" value="{html.escape(csrf)}"><button type="submit">Sign out</button> <a href="/">Back</a>
</form></main></body></html>"""
