"""A wheel of the running gradcheck, for ``gradcheck classroom init --vendor``.

The wheel is built from the installed package itself (every file under the ``gradcheck``
package folder but ``__pycache__``), so it works whether gradcheck was installed from a
wheel, from a source checkout or in editable mode: the template repository then installs
exactly the gradcheck the instructor ran. Its metadata names the version, the runtime
requirements and the ``gradcheck`` command, as the wheel the project's own build writes.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from gradcheck import __version__

_REQUIRES = ("click>=8.1", "numpy>=1.23", "rich>=13", "pyyaml>=6")
_SKIP = ("__pycache__",)


def wheel_name(version: str | None = None) -> str:
    """The wheel's file name.

    >>> wheel_name("0.1.0")
    'gradcheck-0.1.0-py3-none-any.whl'
    """
    return f"gradcheck-{version or __version__}-py3-none-any.whl"


def _requirements() -> list[str]:
    try:
        found = metadata.requires("gradcheck") or []
    except metadata.PackageNotFoundError:
        return list(_REQUIRES)
    return [r for r in found if "extra ==" not in r] or list(_REQUIRES)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: str | Path) -> Path:
    """Write ``gradcheck-<version>-py3-none-any.whl`` of the running gradcheck into
    ``folder`` and return its path.

    >>> import tempfile, zipfile
    >>> path = build_wheel(tempfile.mkdtemp())
    >>> "gradcheck/exercises/sheet01.yaml" in zipfile.ZipFile(path).namelist()
    True
    """
    version = __version__
    package = Path(__file__).resolve().parents[1]          # the gradcheck package folder
    info = f"gradcheck-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package.parent)
        if path.is_file() and not any(part in _SKIP for part in relative.parts) \
                and path.suffix not in (".pyc", ".pyo"):
            files.append((relative.as_posix(), path.read_bytes()))
    meta = ["Metadata-Version: 2.1", "Name: gradcheck", f"Version: {version}",
            "Summary: Gradient checker and exercise grader for deep-learning courses",
            "License: MIT", "Requires-Python: >=3.10"]
    meta += [f"Requires-Dist: {r}" for r in _requirements()]
    files += [
        (f"{info}/METADATA", ("\n".join(meta) + "\n").encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: gradcheck classroom init "
                          b"--vendor\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", b"[console_scripts]\ngradcheck = gradcheck.cli:main\n"),
        (f"{info}/top_level.txt", b"gradcheck\n"),
    ]
    record = [_record_line(name, data) for name, data in files] + [f"{info}/RECORD,,"]
    target = Path(folder) / wheel_name(version)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files:
            wheel.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data,
                           compress_type=zipfile.ZIP_DEFLATED)
        wheel.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(2020, 1, 1, 0, 0, 0)),
                       "\n".join(record) + "\n", compress_type=zipfile.ZIP_DEFLATED)
    return target
