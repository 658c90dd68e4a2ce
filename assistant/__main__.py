"""Command line: ``python -m assistant ask "QUESTION" [--json]`` and
``python -m assistant eligibility --country C --role R [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import access

EPILOG = """examples:
  python -m assistant ask "Since when has Japan supported Myanmar's prisons?"
  python -m assistant ask "What about Viet Nam?" --history turns.json --json
  python -m assistant ask "Which seminars were held in 2010?" --role partner --backend openai

exit status: 0 answered, 1 declined (the documents do not cover it), 2 usage or configuration error."""

ELIGIBILITY_EPILOG = """examples:
  python -m assistant eligibility --country "Viet Nam" --role prosecutor
  python -m assistant eligibility --country VN --role "prison officer" --topic corruption --json
  python -m assistant eligibility --role judge --reader-role partner

exit status: 0 verdicts printed, 2 usage or configuration error (an unknown country or programme, no catalogue)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description="Ask the programme documents assistant.")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser(
        "ask", help="answer a question with cited sources", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ask.add_argument("question")
    ask.add_argument("--index-dir", type=Path, help="index folder (setting index_dir)")
    ask.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    ask.add_argument("--role", default="public", choices=access.ROLES, help="reader's access level")
    ask.add_argument("--backend", choices=["extractive", "local", "openai"], help="answer backend (setting backend)")
    ask.add_argument("--history", type=Path, help='JSON file: earlier turns as [{"role": "user", "content": "..."}, ...]')
    ask.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help="doc_type, programme, country, region, year")
    ask.add_argument("--chroma-host", help="Chroma server host (setting chroma_host)")
    ask.add_argument("--chroma-port", type=int, help="Chroma server port")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("-v", "--verbose", action="store_true")
    el = sub.add_parser(
        "eligibility", help="which programmes may an official attend? verdicts with their clauses",
        epilog=ELIGIBILITY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    el.add_argument("--country", help="country name or ISO code, or a region ('Southeast Asia')")
    el.add_argument("--role", help="the official's role, e.g. 'prison officer', 'public prosecutor'")
    el.add_argument("--topic", help="e.g. corruption, 'prison management'")
    el.add_argument("--programme", help="programme id or name words ('Viet Nam programme')")
    el.add_argument("--reader-role", default="public", choices=access.ROLES, help="access level of the reader")
    el.add_argument("--index-dir", type=Path, help="index folder (setting index_dir)")
    el.add_argument("--corpus-dir", type=Path, help="corpus folder holding eligibility.yaml (setting corpus_dir)")
    el.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    el.add_argument("--json", action="store_true", help="print one JSON object")
    el.add_argument("-v", "--verbose", action="store_true")
    return p


def _print_eligibility(result: dict) -> None:
    marks = {"meets": "+", "fails": "x", "uncertain": "?", "note": "i"}
    for prog in result.get("programmes", []):
        print(f"{prog['verdict']:<13} {prog['title']} [{prog['programme']}]")
        for r in prog["reasons"]:
            page = f", page {r['page']}" if r.get("page") else ""
            print(f"   {marks.get(r['effect'], '-')} {r['text']}")
            print(f'       "{r["clause"]}" ({r["doc_id"]}{page})')
    if not result.get("programmes"):
        print("No programme you may see matches.")
    for notice in result.get("notices", []):
        print(f"note: {notice}")


def _eligibility(args) -> int:
    from pydantic import ValidationError

    from assistant.service import Assistant
    from assistant.settings import load_settings

    if not (args.country or args.role):
        print("error: give --country or --role (or both)", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config, index_dir=args.index_dir, corpus_dir=args.corpus_dir)
        result = Assistant(settings).eligibility(args.country, args.role, args.topic, args.programme,
                                                 reader_role=args.reader_role)
    except (ValidationError, ValueError, OSError) as exc:  # PlaceError, UnknownProgrammeError, CatalogueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        _print_eligibility(result)
    return 0


def _print_text(answer) -> None:
    if answer.searched_for != answer.question:
        print(f"Searched for: {answer.searched_for}")
    print(answer.text)
    sources = answer.closest if answer.declined else answer.citations
    if sources:
        print("\nClosest sources:" if answer.declined else "\nSources:")
    for c in sources:
        page = f", page {c.page}" if c.page else ""
        print(f"  [{c.n}] {c.title}{page} ({c.doc_id})")
        print(f'      "{c.quote}"')
    for notice in answer.notices:
        print(f"note: {notice}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from assistant.runtime import configure_logging, prepare_offline

    prepare_offline()
    configure_logging(args.verbose)
    if args.command == "eligibility":
        return _eligibility(args)
    from pydantic import ValidationError

    from assistant.embedding import ModelMissingError
    from assistant.service import Assistant
    from assistant.settings import load_settings
    from assistant.store import StoreUnavailableError

    try:
        settings = load_settings(
            args.config, index_dir=args.index_dir, backend=args.backend, chroma_host=args.chroma_host, chroma_port=args.chroma_port
        )
        history = json.loads(args.history.read_text(encoding="utf-8")) if args.history else None
        if history is not None and not isinstance(history, list):
            raise ValueError("--history must hold a JSON list of {role, content} objects")
        filters = dict(f.split("=", 1) for f in args.filter if "=" in f)
        answer = Assistant(settings).ask(args.question, history=history, role=args.role, filters=filters)
    except (ValidationError, ValueError, OSError, ModelMissingError, StoreUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        data = answer.to_dict()
        data["citations"] = [{k: c[k] for k in ("n", "doc_id", "title", "page", "quote", "source_path")} for c in data["citations"]]
        print(json.dumps(data, indent=1, ensure_ascii=False))
    else:
        _print_text(answer)
    return 1 if answer.declined else 0


if __name__ == "__main__":
    sys.exit(main())
