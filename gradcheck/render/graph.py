"""Drawings of a student's computational graph (``ExerciseResult.graph``): a text tree for the
terminal and a Mermaid flowchart for Markdown (GitHub renders ```` ```mermaid ```` blocks).

Only reads results. Student text (the assignments) appears only inside labels: in Mermaid every
character outside a small safe set is written as an entity code (``#35;``), and node ids are
generated (``n0``, ``n1``, ...), never taken from the student's names.

>>> from gradcheck.results import GraphNode
>>> nodes = (GraphNode("a", "a", (), "input"), GraphNode("b", "b", (), "input"),
...          GraphNode("t1", "t1 = a * b", ("a", "b"), "variable", 2),
...          GraphNode("t2", "t2 = np.sin(t1)", ("t1",), "output", 3))
>>> print(text_tree(nodes))
t2 = np.sin(t1)  (output)
└── t1 = a * b
    ├── a
    └── b
>>> print(mermaid(nodes))
flowchart BT
  n0(["a"])
  n1(["b"])
  n2["t1 = a * b"]
  n3[["t2 = np.sin(t1)"]]
  n0 --> n2
  n1 --> n2
  n2 --> n3
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gradcheck.render.common import printable, shorten
from gradcheck.results import GraphNode

MAX_NODES = 300          # a larger graph is drawn up to here, with a note
LABEL_CHARS = 80         # a node's label, at most
_SAFE = re.compile(r"[A-Za-z0-9 _+\-*/=().,\[\]:@]")
_SHAPES = {"input": ('(["', '"])'), "variable": ('["', '"]'), "output": ('[["', '"]]')}


def _label(node: GraphNode) -> str:
    return shorten(" ".join(printable(node.label).split()), LABEL_CHARS)


def text_tree(nodes: Sequence[GraphNode]) -> str:
    """The graph as a tree hanging from its output (the last node): each node with the
    nodes it is computed from below it; a node already drawn is named again as ``(above)``.
    """
    nodes = tuple(nodes)[:MAX_NODES]
    if not nodes:
        return ""
    by_name = {n.name: n for n in nodes}
    root = next((n for n in reversed(nodes) if n.role == "output"), nodes[-1])
    lines: list[str] = []
    drawn: set[str] = set()
    pending: list[tuple[GraphNode, str, str]] = [(root, "", "")]
    while pending:
        node, lead, prefix = pending.pop()
        text = _label(node)
        if node.role == "output":
            text += "  (output)"
        if node.name in drawn and node.inputs:
            text = f"{printable(node.name)} (above)"
            lines.append(lead + text)
            continue
        lines.append(lead + text)
        drawn.add(node.name)
        children = [by_name.get(i, GraphNode(i, i, (), "input")) for i in node.inputs]
        for k, child in reversed(list(enumerate(children))):
            last = k == len(children) - 1
            pending.append((child, prefix + ("└── " if last else "├── "),
                            prefix + ("    " if last else "│   ")))
    if len(lines) > 4 * MAX_NODES:
        lines = lines[: 4 * MAX_NODES] + ["..."]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return "".join(c if _SAFE.match(c) else f"#{ord(c)};" for c in text)


def mermaid(nodes: Sequence[GraphNode]) -> str:
    """The graph as a Mermaid flowchart, inputs at the bottom and the output at the top."""
    shown = tuple(nodes)[:MAX_NODES]
    ids = {n.name: f"n{k}" for k, n in enumerate(shown)}
    lines = ["flowchart BT"]
    for node in shown:
        start, end = _SHAPES.get(node.role, _SHAPES["variable"])
        lines.append(f"  {ids[node.name]}{start}{_escape(_label(node))}{end}")
    for node in shown:
        for name in node.inputs:
            if name in ids:
                lines.append(f"  {ids[name]} --> {ids[node.name]}")
    if len(nodes) > MAX_NODES:
        lines.append(f'  more["{len(nodes) - MAX_NODES} more nodes not drawn"]')
    return "\n".join(lines)
