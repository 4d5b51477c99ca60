"""YAML loading that remembers line numbers, so spec errors can name file, line and key.

``load_located(text, file)`` parses with PyYAML's safe constructors (no Python tags, no code)
and returns plain ``dict``/``list`` subclasses that also carry the line of each key and item.
A plain scalar in exponent notation is a number as YAML 1.2 reads it (``1e-5``, ``1.0e308``),
not text as PyYAML's YAML 1.1 rules would have it; quoted, it stays text.

>>> data = load_located("a: 1\\nb:\\n  - x\\n  - y\\n", "s.yaml")
>>> data["b"], data.line_of("b"), data["b"].line_of(1)
(['x', 'y'], 2, 4)
>>> load_located("eps: 1e-5\\nbig: 1.0e308\\ntext: '1e-5'\\n", "s.yaml")
{'eps': 1e-05, 'big': 1e+308, 'text': '1e-5'}
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from gradcheck.errors import SpecError
from gradcheck.spec.bounds import check_document, check_expansion
from gradcheck.spec.located import Located, LocatedDict, LocatedList

__all__ = ["Located", "LocatedDict", "LocatedList", "load_located"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader whose mappings and sequences remember where they came from."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value", file=loader.spec_file,
                            line=line) from None
        if key in result:
            raise SpecError(f"duplicate key (first given on line {result.lines[key]})",
                            file=loader.spec_file, line=line, key=str(key))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = {i: child.start_mark.line + 1 for i, child in enumerate(node.value)}
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# YAML 1.1 wants a dot and a signed exponent; YAML 1.2 (and every other reader) does not.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def load_located(text: str, file: str) -> Any:
    """Parse YAML text; syntax errors become a ``SpecError`` with the file and line."""
    check_document(text, file)
    loader = _Loader(text)
    loader.spec_file = file
    try:
        node = loader.get_single_node()
        check_expansion(node, file)
        return loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", file=file) from None
    finally:
        loader.dispose()
