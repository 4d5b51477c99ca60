"""The bundled specs, parsed ahead of time: a JSON file beside each YAML file of
``gradcheck/exercises/`` (``sheet01.yaml`` -> ``sheet01.parsed.json``) holds the YAML text
and what :func:`gradcheck.spec.yamlfile.load_located` makes of it, lines included.

Loading a bundled sheet reads that instead of parsing the YAML when the text it holds is
exactly the YAML file's text (else the YAML is parsed, as for any other spec): PyYAML's
import and parse took ~20 ms of every ``gradcheck grade``, ~8% of a cold one. Only the
package's own folder is read this way; a spec anywhere else is always parsed from its YAML.

After editing a bundled spec, write its parsed file again (a test fails until then)::

    python -m gradcheck.spec

>>> from gradcheck.spec.yamlfile import load_located
>>> text = "a: 1\\nb: [x, 2.0]\\n"
>>> data = thaw(text, freeze(text, "s.yaml"))
>>> data == {"a": 1, "b": ["x", 2.0]}, data.line_of("b"), data["b"].line
(True, 2, 2)
>>> thaw("a: 2\\n", freeze(text, "s.yaml")) is None   # another text: parse the YAML
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gradcheck.spec.located import LocatedDict, LocatedList

BUNDLED = Path(__file__).resolve().parent.parent / "exercises"   # the bundled specs
FORMAT = 1
SUFFIX = ".parsed.json"


def parsed_path(spec: Path) -> Path:
    """Where the parsed form of ``spec`` is kept: ``sheet01.yaml`` -> ``sheet01.parsed.json``."""
    return spec.with_name(spec.stem + SUFFIX)


def freeze(text: str, file: str) -> str:
    """The parsed file's content for YAML ``text``; ValueError when the YAML holds a value
    JSON cannot carry exactly (a date, binary data, a set): such a spec is always parsed."""
    from gradcheck.spec.yamlfile import load_located

    data = {"format": FORMAT, "yaml": text, "data": _encode(load_located(text, file))}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def thaw(text: str, frozen: str) -> Any:
    """What ``load_located(text)`` gives, from ``frozen`` (see :func:`freeze`); None when
    ``frozen`` is not the parsed form of exactly ``text`` (or not one at all)."""
    try:
        data = json.loads(frozen)
        if not (isinstance(data, dict) and data.get("format") == FORMAT
                and data.get("yaml") == text):
            return None
        return _decode(data["data"])
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        return None


def load_frozen(spec: Path, text: str) -> Any:
    """The parsed form of bundled ``spec`` (whose text is ``text``), or None to parse it."""
    try:
        frozen = parsed_path(spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return thaw(text, frozen)


# A mapping is {"m": its line, "k": [[key, key's line, value], ...]}, a sequence
# {"s": its line, "i": [[item's line, item], ...]}; scalars are themselves (every JSON object
# is a container: a YAML mapping always loads as a LocatedDict).

def _encode(value: Any) -> Any:
    if isinstance(value, LocatedDict):
        return {"m": value.line,
                "k": [[_scalar(k), value.lines[k], _encode(v)] for k, v in value.items()]}
    if isinstance(value, LocatedList):
        return {"s": value.line, "i": [[value.lines[i], _encode(v)] for i, v in enumerate(value)]}
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise ValueError(f"a {type(value).__name__} value ({value!r}) has no exact JSON form")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "m" in value:
            result = LocatedDict()
            result.line, result.lines = value["m"], {}
            for key, line, item in value["k"]:
                result[key] = _decode(item)
                result.lines[key] = line
            return result
        items = value["i"]
        result = LocatedList(_decode(item) for _line, item in items)
        result.line = value["s"]
        result.lines = {i: line for i, (line, _item) in enumerate(items)}
        return result
    return value


def main(argv: list[str]) -> int:
    """Write the parsed file of every bundled spec (of those named in ``argv``, if any)."""
    for spec in sorted(BUNDLED.glob("*.yaml")):
        if argv and spec.stem not in argv:
            continue
        text = spec.read_text(encoding="utf-8")
        try:
            frozen = freeze(text, str(spec))
        except ValueError as exc:
            parsed_path(spec).unlink(missing_ok=True)
            print(f"{spec.name}: parsed from its YAML each time ({exc})")
            continue
        parsed_path(spec).write_text(frozen, encoding="utf-8")
        print(f"{spec.name} -> {parsed_path(spec).name}")
    return 0

