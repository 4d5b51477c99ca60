"""The package's layers, read from the import statements of every module (nothing is imported).

The rules are the ones docs/architecture.md states: imports flow downward only, there are no
circles, the worker's scripts import nothing of gradcheck, and click and rich appear only where
something is drawn or parsed from a command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gradcheck"

# Each layer and the layers it may import ("root" is gradcheck/__init__: __version__ and the
# public API). "base" is results and errors, the shared types every layer may use.
ALLOWED = {
    "base": set(),
    "engine": {"base"},
    "expr": {"engine", "base"},
    "numeric": {"base"},
    "compare": {"base"},
    "check": {"numeric", "compare", "base"},
    "spec": {"engine", "expr", "numeric", "base", "root"},
    "sandbox": {"child", "base"},
    "child": set(),
    "grading": {"engine", "expr", "numeric", "compare", "spec", "sandbox", "child", "base",
                "root"},
    "batch": {"grading", "spec", "sandbox", "child", "render", "base", "root"},
    "render": {"base", "root"},
    "notebook": {"engine", "expr", "numeric", "compare", "check", "spec", "grading", "render",
                 "base", "root"},
    "cli": {"engine", "expr", "numeric", "compare", "check", "spec", "sandbox", "child",
            "grading", "batch", "render", "base", "root", "cli"},
    "root": {"check", "base"},
    "main": {"cli"},
}
DRAWING = {"click", "rich"}
MAY_DRAW = {"cli", "render", "notebook"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(name: str) -> str:
    parts = name.split(".")[1:]
    if not parts:
        return "root"
    if parts[0] in ("results", "errors"):
        return "base"
    if parts[0] == "__main__":
        return "main"
    if parts[:2] == ["sandbox", "child"]:
        return "child"
    return parts[0]


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the module, at any depth (lazy imports and
    ``if TYPE_CHECKING`` blocks count too); ``from package import submodule`` names the
    submodule, relative imports are resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if full in MODULES else base, node.lineno))
    return list(dict.fromkeys(found))


def ours(imported: str) -> str | None:
    """The module of ours an import refers to (the longest known prefix), or None."""
    parts = imported.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def test_every_module_belongs_to_a_known_layer():
    unknown = {name for name in MODULES if layer_of(name) not in ALLOWED}
    assert not unknown, f"modules outside the layers of docs/architecture.md: {unknown}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_downward(name):
    layer = layer_of(name)
    wrong = []
    for imported, line in imports_of(name):
        target = ours(imported)
        if target is None:
            if imported.split(".")[0] in DRAWING and layer not in MAY_DRAW:
                wrong.append(f"line {line}: {imported} (click and rich only in cli, render "
                             f"and notebook)")
            continue
        other = layer_of(target)
        if other != layer and other not in ALLOWED[layer]:
            wrong.append(f"line {line}: {target} ({layer} may not import {other})")
    assert not wrong, f"{name}: " + "; ".join(wrong)


def test_the_worker_scripts_import_nothing_of_gradcheck():
    # The parent imports them as gradcheck.sandbox.child.*; inside the worker they load as a
    # package of their own, so only relative imports among themselves are possible.
    for name in (n for n in MODULES if layer_of(n) == "child"):
        source = MODULES[name].read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1, f"{name}:{node.lineno} reaches out of the worker folder"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                assert not any(n.split(".")[0] == "gradcheck" for n in names), \
                    f"{name}:{node.lineno} imports gradcheck"


def test_nothing_imports_the_command_line():
    for name in MODULES:
        if layer_of(name) in ("cli", "main"):
            continue
        for imported, line in imports_of(name):
            target = ours(imported)
            assert target is None or layer_of(target) != "cli", f"{name}:{line} imports {target}"


def test_there_are_no_import_cycles():
    graph = {name: {t for i, _ in imports_of(name) if (t := ours(i)) and t != name}
             for name in MODULES}
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for name in sorted(MODULES):
        if name not in state and (cycle := visit(name)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_the_checker_sees_a_cycle_and_a_wrong_direction(tmp_path, monkeypatch):
    # The rules above are only as good as the import reading: a planted upward import and a
    # planted circle must both be caught.
    fake = tmp_path / "gradcheck"
    (fake / "engine").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "results.py").write_text("from gradcheck.engine import node\n")
    (fake / "engine" / "__init__.py").write_text("")
    (fake / "engine" / "node.py").write_text("from gradcheck import results\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    monkeypatch.setitem(globals(), "MODULES", {module_name(p): p for p in fake.rglob("*.py")})
    with pytest.raises(AssertionError, match="base may not import engine"):
        test_imports_flow_downward("gradcheck.results")
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_there_are_no_import_cycles()
