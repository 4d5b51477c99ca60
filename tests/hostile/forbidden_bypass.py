"""Reaching a forbidden package past the import hooks: removed hooks, Python's own import,
loading its files by path. ROOT (the folder holding gradcheck) is set by the test."""

import builtins
import importlib._bootstrap
import importlib.util
import os
import sys
import sysconfig

ROOT = "/nonexistent"


def good(x):
    return 2 * x


def _unhook():
    sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
    builtins.__import__ = importlib._bootstrap.__import__


def python_import(x):
    _unhook()
    import fractions

    return float(fractions.Fraction(1, 2)) * x


def by_path(x):
    _unhook()
    path = os.path.join(sysconfig.get_paths()["stdlib"], "fractions.py")
    spec = importlib.util.spec_from_file_location("fractions_copy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return float(module.Fraction(1, 2)) * x


def read_source(x):
    path = os.path.join(sysconfig.get_paths()["stdlib"], "fractions.py")
    with open(path) as f:
        return float(len(f.read()) > 0) * x


def grader_engine(x):
    _unhook()
    sys.path.insert(0, ROOT)
    for name in [m for m in sys.modules if m == "gradcheck" or m.startswith("gradcheck.")]:
        del sys.modules[name]
    from gradcheck import engine  # an autodiff, on the student's side

    return float(engine is not None) * x


def source_is_a_file(x):
    import stat

    path = os.path.join(sysconfig.get_paths()["stdlib"], "fractions.py")
    return float(stat.S_ISREG(os.stat(path).st_mode)) + 0 * x
