"""The import contract: the data flows one way (query core <- ingestion <- web face), and access has one model.

Read from the source with ``ast`` (imports inside functions count too), so a lazy import cannot
hide a dependency:

* only ``assistant/web/`` and ``app.py`` (and ``evals/``, for ``--docs``) import ``ingest``;
* nothing else in ``assistant/`` imports ``ingest`` or ``assistant.web``; ``ingest`` never imports
  ``assistant.web``;
* no import cycles between the modules of ``assistant/``;
* no module but ``assistant/access.py`` defines the readers' roles or ranks.

Tools that drive the whole app from outside (``tests/``, ``benchmarks/``, ``reliability/``,
``scripts/``) may import anything and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("assistant", "ingest", "evals")  # packages whose imports are checked, plus app.py
ROLE_NAMES = {"public", "partner", "staff", "admin"}
ACCESS_MODULE = "assistant.access"

# Cycles that are known and being removed elsewhere; the lead deletes each entry when its branch merges.
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_files() -> dict[str, Path]:
    files = {module_name(p): p for pkg in PRODUCT for p in sorted((ROOT / pkg).rglob("*.py"))}
    files["app"] = ROOT / "app.py"
    return files


MODULES = product_files()


def imports_of(name: str, path: Path) -> set[str]:
    """Every module ``path`` imports anywhere in its body, as dotted names (``from x import y`` gives
    ``x.y`` when that is a module of ours, else ``x``); relative imports resolved against ``name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_scan_sees_the_modules_and_their_lazy_imports():
    """Guard against a scan that silently finds nothing (and so passes everything)."""
    assert {"assistant.service", "assistant.web.ui", "ingest.pipeline", "app", "evals.runner"} <= set(MODULES)
    assert "ingest.pipeline" in GRAPH["assistant.web.context"]  # imported inside a method
    assert "assistant.store" in GRAPH["ingest.pipeline"]


def test_only_the_web_face_app_and_evals_import_ingest():
    allowed = ("assistant.web", "app", "evals", "ingest")
    bad = sorted(f"{m} imports {i}" for m, deps in GRAPH.items() for i in deps
                 if within(i, "ingest") and not any(within(m, a) for a in allowed))
    assert not bad, "only assistant/web/, app.py and evals/ may import ingest/:\n" + "\n".join(bad)


def test_the_query_core_and_ingestion_never_import_the_web_face():
    bad = sorted(f"{m} imports {i}" for m, deps in GRAPH.items() for i in deps
                 if within(i, "assistant.web") and not within(m, "assistant.web") and m != "app" and not within(m, "evals"))
    assert not bad, "the query core and ingestion must not depend on assistant/web/:\n" + "\n".join(bad)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules_of_assistant():
    core = {m: {i for i in deps if within(i, "assistant")} for m, deps in GRAPH.items() if within(m, "assistant")}
    for pair in KNOWN_CYCLES:  # drop one direction of each known pair (and only that pair)
        a, b = sorted(pair)
        core[a] = core[a] - {b}
    found = cycles(core)
    assert not found, "import cycles in assistant/:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_known_cycle_exceptions_are_still_needed():
    """An exception left after its cycle is gone would hide a new one: delete the entry then."""
    for pair in KNOWN_CYCLES:
        a, b = sorted(pair)
        if not (b in GRAPH.get(a, set()) and a in GRAPH.get(b, set())):
            pytest.fail(f"{a} and {b} no longer import each other: remove them from KNOWN_CYCLES")


def _role_tables(tree: ast.AST) -> list[int]:
    """Line numbers of literals that spell out three or more reader roles: a dict with them as keys or
    values, a tuple, list or set of them, or a ``Literal[...]`` of them."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in [*node.keys, *node.values] if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            keys = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        else:
            continue
        if len(keys & ROLE_NAMES) >= 3:
            lines.append(node.lineno)
    return lines


def test_role_table_scan_finds_a_copy():
    assert _role_tables(ast.parse('RANK = {"public": 0, "partner": 1, "staff": 2}')) == [1]
    assert _role_tables(ast.parse('x: Literal["public", "partner", "staff", "admin"]')) == [1]
    assert _role_tables(ast.parse('OF_RANK = {0: "public", 1: "partner", 2: "staff"}')) == [1]
    assert _role_tables(ast.parse('ROLES = ("prosecutor", "judge", "staff")')) == []


def test_no_module_but_access_defines_roles_or_ranks():
    copies = []
    for name, path in MODULES.items():
        if name == ACCESS_MODULE:
            continue
        lines = _role_tables(ast.parse(path.read_text(encoding="utf-8")))
        copies += [f"{path.relative_to(ROOT)}:{line}" for line in lines]
    assert not copies, "roles and ranks are defined in assistant/access.py only; copies at:\n" + "\n".join(copies)


def test_web_modules_stay_small():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "assistant" / "web").rglob("*.py")}
    big = {p: n for p, n in sizes.items() if n > 400}
    assert not big, f"modules over 400 lines in assistant/web/: {big}"
