"""``python -m reliability``: the load test and the fuzzing, with the figures written into
docs/reliability.md (between its ``reliability:figures`` markers) and to a JSON file.

1. A private copy of the index (``index/`` when it holds the corpus, else the corpus is ingested),
   brought up to date with ``python -m ingest corpus``; a users file with one user per role.
2. ``python app.py`` on a free port; N users ask a mix of questions for the given time (bounded
   request counts), while a probe times /api/health.
3. Hostile API requests (long, control, RTL/CJK/emoji, malformed bodies, random text).
4. The app is stopped; its log must hold no unexpected traceback, and the index must be as before.
5. Structure-aware fuzzing of every loader.

Exit status: 0 when there were no errors, crashes or index changes; 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reliability import fuzz
from reliability.harness import (
    CORPUS,
    ROOT,
    AppProcess,
    copy_index,
    index_settings,
    ingest,
    snapshot,
    token_headers,
    unexpected_errors,
)
from reliability.load import KINDS, run_load

DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- reliability:figures:begin -->", "<!-- reliability:figures:end -->"
USERS = {"pub": ("public", "public-pass-1"), "pat": ("partner", "partner-pass-1"),
         "sam": ("staff", "staff-pass-1"), "ada": ("admin", "admin-pass-1")}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m reliability", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="example: python -m reliability --users 20 --duration 60 --max-requests 400")
    p.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--max-requests", type=int, default=400, help="most requests per user (default 400)")
    p.add_argument("--fuzz-per-format", type=int, default=300, help="mutated files per format (default 300)")
    p.add_argument("--fuzz-random-questions", type=int, default=200, help="random-text questions (default 200)")
    p.add_argument("--seed", type=int, default=20241125, help="seed of the fuzzing (default fixed)")
    p.add_argument("--index-dir", type=Path, default=ROOT / "index", help="index to copy (default index/)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--no-write", action="store_true", help="do not rewrite docs/reliability.md")
    p.add_argument("--keep", action="store_true", help="keep the working folder (logs, index copy)")
    return p


def prepare_index(source: Path, work: Path) -> tuple[Path, str]:
    """An up-to-date private copy of the corpus index (real model); returns (folder, how it was made)."""
    settings = index_settings(source)
    dest = work / "index"
    if (source / f"manifest-{settings.index_settings_hash}.json").is_file():
        copy_index(source, dest)
        shown = source.resolve().relative_to(ROOT).as_posix() + "/" if source.resolve().is_relative_to(ROOT) else source
        how = f"copy of {shown}"
    else:
        how = "fresh ingestion of corpus/"
    result = ingest([CORPUS], dest, "--json")
    if result.returncode != 0:
        raise SystemExit(f"error: indexing the corpus failed: {result.stderr[-2000:]}")
    data = json.loads(result.stdout)
    return dest, f"{how}, then `python -m ingest corpus` ({data['added']} added, {data['updated']} updated, " \
                 f"{data['unchanged']} unchanged)"


def api_fuzz(url: str, headers: dict[str, str], n_random: int, seed: int) -> dict[str, Any]:
    """Every hostile request once, plus ``n_random`` random-text questions; counts by status."""
    statuses: dict[str, int] = {}
    failures: list[dict[str, Any]] = []
    rng = random.Random(seed)

    def send(label: str, path: str, **kwargs) -> None:
        try:
            code = httpx.post(url + path, headers={**headers, **kwargs.pop("extra", {})}, timeout=180, **kwargs).status_code
        except httpx.HTTPError as exc:
            code = 0
            failures.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
        statuses[str(code)] = statuses.get(str(code), 0) + 1
        if code == 0 or code >= 500:
            failures.append({"label": label, "status": code})

    for label, question in fuzz.HOSTILE_QUESTIONS.items():
        send(label, "/api/ask", json={"question": question})
    for label, path, body in fuzz.hostile_requests():
        send(label, path, json=body)
    for label, raw in fuzz.RAW_BODIES.items():
        send(label, "/api/ask", content=raw, extra={"content-type": "application/json"})
    alphabet = [chr(c) for c in range(0x20, 0x250)] + list("\x00\x01\x1b\u202e\u200b\ufeff尼泊尔警察👮🏽‍♀️مرحباשלום")
    for i in range(n_random):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 10, 100, 1000, 5000])))
        send(f"random {i}", "/api/ask", json={"question": text})
        if i % 4 == 0:
            send(f"random eligibility {i}", "/api/eligibility", json={"country": text[:200], "role": text[-200:]})
    total = sum(statuses.values())
    return {"requests": total, "statuses": dict(sorted(statuses.items())), "server_errors": len(failures),
            "failure_samples": failures[:10]}


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_average_1m": round(load[0], 2), "python": platform.python_version(),
            "platform": platform.platform(terse=True)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.web.users import add_user

    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="pa-reliability-"))
    figures: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               "command": "python -m reliability " + " ".join(sys.argv[1:]),
                               "machine_at_start": machine(), "work": str(work)}
    try:
        print(f"[1/5] preparing a private copy of the index in {work}", flush=True)
        ix, how = prepare_index(args.index_dir, work)
        figures["index"] = how
        users = work / "users.yaml"
        for name, (role, password) in USERS.items():
            add_user(users, name, role, password)
        settings = index_settings(ix)
        before = snapshot(settings)
        app = AppProcess(work / "app", ix, users_file=users, corpus_dir=CORPUS)
        print("[2/5] starting the app and running the load", flush=True)
        app.start().wait_ready()
        try:
            headers = [token_headers(app.url, name, password) for name, (_, password) in USERS.items()]
            for h in headers:  # warm the model and the caches once
                httpx.post(app.url + "/api/ask", json={"question": "What is UNAFEI?"}, headers=h, timeout=300)
            load = run_load(app.url, users=args.users, duration_s=args.duration,
                            max_requests_per_user=args.max_requests, headers=headers)
            figures["load"] = load.to_dict()
            figures["load"]["roles"] = [role for role, _ in USERS.values()]
            print(f"      {load.requests} requests, {load.throughput:.1f}/s, errors {len(load.errors)}", flush=True)
            print("[3/5] hostile API requests", flush=True)
            figures["api_fuzz"] = api_fuzz(app.url, headers[-1], args.fuzz_random_questions, args.seed)
            figures["app_alive_after"] = app.alive() and httpx.get(app.url + "/api/health", timeout=30).status_code == 200
        finally:
            app.stop()
        figures["unexpected_log_errors"] = unexpected_errors(app.all_logs())[:10]
        print("[4/5] comparing the index before and after", flush=True)
        after = snapshot(settings)
        figures["index_check"] = {"documents": len(before.docs), "chunks": before.chunks, "version": before.version,
                                  "unchanged": after == before, "consistent": after.consistent(),
                                  "problems": after.problems()}
        print(f"[5/5] fuzzing the loaders ({args.fuzz_per_format} inputs per format)", flush=True)
        import logging

        logging.getLogger("pypdf").setLevel(logging.CRITICAL)
        figures["loader_fuzz"] = fuzz.fuzz_loaders(args.fuzz_per_format, args.seed, budget_s=600).to_dict()
        figures["machine_at_end"] = machine()
        figures["seconds"] = round(time.time() - started, 1)
        return figures
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def passed(f: dict[str, Any]) -> bool:
    return (f["load"]["errors"] == 0 and f["api_fuzz"]["server_errors"] == 0 and f["loader_fuzz"]["crashes"] == 0
            and not f["unexpected_log_errors"] and f["index_check"]["unchanged"] and f["app_alive_after"])


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


def render(f: dict[str, Any]) -> str:
    load, m0, m1 = f["load"], f["machine_at_start"], f["machine_at_end"]
    lines = [
        BEGIN,
        f"Last run: {f['date']}, `{f['command'].strip()}` ({f['seconds']:.0f} s in all). Machine: {m0['cpus']} CPUs, "
        f"Python {m0['python']}; load average {m0['load_average_1m']} at the start and {m1['load_average_1m']} at the end "
        "(a shared machine: other jobs were running, so treat the latencies as an upper bound). "
        f"Index: {f['index']}; real model, extractive backend.",
        "",
        f"**Load**: {load['users']} concurrent users for {load['duration_s']:g} s (at most {load['max_requests_per_user']} "
        f"requests each), bearer tokens of the four roles, every question unique (no cache hits). "
        f"{load['requests']} requests in {load['wall_s']:.1f} s = **{load['throughput_rps']:.1f} requests/s**; "
        f"statuses {load['statuses']}; **errors: {load['errors']}**.",
        "",
        "| requests | count | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [("all", load["requests"], load["latency_s"])] + [
        (k, load["by_kind"][k]["requests"], load["by_kind"][k]["latency_s"]) for k in KINDS]
    for name, count, lat in rows:
        lines.append(f"| {name} | {count} | {_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} | {_ms(lat.get('p99'))} | "
                     f"{_ms(lat.get('max'))} |")
    h = load["health_latency_s"]
    lines += [
        "",
        f"`/api/health` probed every second during the load: {load['health_probes']} probes, "
        f"{load['health_failures']} failed, p50 {_ms(h.get('p50'))}, max {_ms(h.get('max'))}.",
        "",
    ]
    api = f["api_fuzz"]
    lines.append(f"**Hostile API requests**: {api['requests']} (every named hostile question and body once, plus random "
                 f"text of 1 to 5,000 characters); statuses {api['statuses']}; **5xx or dropped: {api['server_errors']}**. "
                 f"The app was alive and healthy afterwards: {'yes' if f['app_alive_after'] else 'NO'}; unexpected "
                 f"tracebacks in its log: {len(f['unexpected_log_errors'])}.")
    lines.append("")
    lf = f["loader_fuzz"]
    lines += [f"**Loader fuzzing** (seed {lf['seed']}): {lf['inputs']} mutated files in {lf['seconds']:.0f} s; "
              f"**crashes (anything but LoadError, or an entity expanded/resolved): {lf['crashes']}**.", "",
              "| format | read | refused (LoadError) | crashed | slowest |", "| --- | ---: | ---: | ---: | ---: |"]
    for suffix, counts in lf["outcomes"].items():
        crashed = sum(v for k, v in counts.items() if k not in ("read", "refused"))
        lines.append(f"| {suffix} | {counts.get('read', 0)} | {counts.get('refused', 0)} | {crashed} | "
                     f"{lf['slowest_s'].get(suffix, 0):.2f} s |")
    ic = f["index_check"]
    lines += ["", f"**Nothing lost**: the index ({ic['documents']} documents, {ic['chunks']} chunks, version "
              f"{ic['version']}) compared before and after (manifest entries with their hashes and chunk ids, the "
              f"store's chunk ids, the keyword index): **{'identical' if ic['unchanged'] else 'CHANGED'}**, "
              f"consistent: {'yes' if ic['consistent'] else 'NO ' + '; '.join(ic['problems'])}.", END]
    return "\n".join(lines)


def write_doc(figures: dict[str, Any], path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n## Figures\n\n{BEGIN}\n{END}\n"
    new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: render(figures), text, flags=re.S)
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from assistant.runtime import prepare_offline

    prepare_offline()
    args = _parser().parse_args(argv)
    figures = run(args)
    ok = passed(figures)
    figures["passed"] = ok
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    if not args.no_write:
        write_doc(figures)
        print(f"figures written to {DOC.relative_to(ROOT)}")
    print(render(figures).replace(BEGIN, "").replace(END, "").strip())
    print("PASSED" if ok else "FAILED: see the figures above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
