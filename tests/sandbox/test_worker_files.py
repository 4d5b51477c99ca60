"""The worker's own files: each does one job (at most 400 lines), and the zygote finds every
helper it loads in its own folder (the only folder bubblewrap shows it)."""

import ast
from pathlib import Path

from gradcheck.sandbox.confine import CHILD, worker_script

LIMIT = 400


def test_every_worker_file_stays_under_the_module_size():
    sizes = {p.name: len(p.read_text().splitlines()) for p in CHILD.glob("*.py")}
    assert "worker.py" in sizes
    too_long = {name: n for name, n in sizes.items() if n > LIMIT}
    assert not too_long, f"past {LIMIT} lines: {too_long}"


def _relative_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {a.name for a in node.names}
    return found


def test_every_helper_the_worker_loads_lies_beside_it():
    script = worker_script()
    todo = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_load_helpers":
            todo |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    loaded: set[str] = set()
    while todo:   # the helpers named, and what they import among themselves
        name = todo.pop()
        path = script.parent / f"{name}.py"
        assert path.is_file(), f"the worker loads {name}, which is not beside it"
        loaded.add(name)
        todo |= _relative_imports(path) - loaded
    assert {"protocol", "guard", "landlock", "serve", "load", "values", "layer",
            "objects", "notebook", "imports", "processes"} <= loaded, loaded


def test_helpers_load_once_and_leave_nothing_behind():
    import sys

    from gradcheck.sandbox.child import worker

    before = set(sys.modules)
    [guard] = worker._load_helpers("guard")
    [serve] = worker._load_helpers("serve")
    assert serve.guard is guard and serve.landlock.guard is guard   # one copy, not two
    assert not {m for m in set(sys.modules) - before if m.startswith(worker.HELPERS)}


def test_the_zygote_sees_the_helpers_bytecode_written_when_missing(tmp_path, monkeypatch):
    import importlib.util
    import sys

    from gradcheck.sandbox import confine

    (tmp_path / "guard.py").write_text("X = 1\n")
    monkeypatch.setattr(confine, "CHILD", tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    confine.helper_bytecode.cache_clear()
    try:
        command = confine.bwrap_command(None)
    finally:
        confine.helper_bytecode.cache_clear()
    assert Path(importlib.util.cache_from_source(str(tmp_path / "guard.py"))).is_file()
    bind = ["--ro-bind", str(tmp_path / "__pycache__"), f"{confine.WORKER_VIEW}/__pycache__"]
    assert any(command[i:i + 3] == bind for i in range(len(command))), command


def test_without_bytecode_the_zygote_sees_the_sources_alone(tmp_path, monkeypatch):
    import sys

    from gradcheck.sandbox import confine

    (tmp_path / "guard.py").write_text("X = 1\n")
    monkeypatch.setattr(confine, "CHILD", tmp_path)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    confine.helper_bytecode.cache_clear()
    try:
        command = confine.bwrap_command(None)
    finally:
        confine.helper_bytecode.cache_clear()
    assert not (tmp_path / "__pycache__").exists()
    assert f"{confine.WORKER_VIEW}/__pycache__" not in command
    assert f"{confine.WORKER_VIEW}/guard.py" in command
