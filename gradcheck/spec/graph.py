"""The spec side of computational-graph exercises (``kind: graph``).

A graph exercise is one of three parts, named by ``part``:

``variables``  the student's function of intermediate variables, one operation per line; the
               exercise carries the function, the inputs and the test points like a
               derivative exercise, and may ask for the fewest operations (``operations: N``);
``graph``      the student's graph as data, checked against their ``variables`` function;
``adjoints``   the student's adjoint lines, one per node, checked against reference backprop.

A ``graph`` or ``adjoints`` part names its ``variables`` part with ``of: <exercise id>`` and
takes the function, inputs and test points from it. Nothing here imports the model (the model
imports this module); :func:`link` works on exercises it is handed.

>>> GraphSpec(part="variables", operations=9).needs_forward
False
>>> GraphSpec(part="adjoints", of="2a-A").needs_forward
True
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

VARIABLES, GRAPH, ADJOINTS = "variables", "graph", "adjoints"
PARTS = (VARIABLES, GRAPH, ADJOINTS)
MAX_OPERATIONS = 200          # the most operations a spec may ask for (``operations``)

# The keys of a graph exercise: the variables part has the keys of a derivative exercise
# without ``wrt`` (every input is a node of the graph); the other parts take them from it.
VARIABLES_KEYS = ("id", "title", "points", "kind", "part", "description", "returns", "student",
                  "function", "inputs", "sizes", "shapes", "constants", "let", "where",
                  "points_at", "tolerance", "operations")
PART_KEYS = ("id", "title", "points", "kind", "part", "of", "description", "returns",
             "student", "tolerance")
KEYS = tuple(dict.fromkeys(VARIABLES_KEYS + PART_KEYS))


@dataclass(frozen=True)
class GraphSpec:
    """What a graph exercise asks for: its ``part``, the ``variables`` exercise it refers to
    (``of``, with that exercise's student function as ``forward``), and for a variables
    part the fewest ``operations`` (None: any number)."""

    part: str
    of: str = ""
    forward: str = ""
    operations: int | None = None

    @property
    def needs_forward(self) -> bool:
        return self.part != VARIABLES


def read(reader: Any, data: Any) -> GraphSpec:
    """The ``part``, ``of`` and ``operations`` keys of a graph exercise (``reader`` is the
    spec's ``FieldReader``; errors name the file, the line and the key)."""
    part = reader.string(data, "part", "graph exercise")
    if part not in PARTS:
        raise reader.error(f"unknown part {part!r} (allowed: {', '.join(PARTS)})", data, "part")
    allowed = VARIABLES_KEYS if part == VARIABLES else PART_KEYS
    reader.check_keys(data, allowed, f"a graph exercise of part {part!r}")
    if part == VARIABLES:
        operations = None
        if data.get("operations") is not None:
            value = data["operations"]
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not 1 <= value <= MAX_OPERATIONS:
                raise reader.error(f"must be an integer in 1..{MAX_OPERATIONS} (the fewest "
                                   "operations that compute the function)", data, "operations")
            operations = value
        return GraphSpec(part=part, operations=operations)
    of = reader.string(data, "of", f"{part} part (the id of its variables part)")
    return GraphSpec(part=part, of=of)


_INHERITED = ("function", "inputs", "sizes", "derived", "shapes", "constants", "let", "wrt",
              "multi", "where", "points_at", "params")


def link(exercises: Sequence[Any], reader: Any) -> list[Any]:
    """Exercises with every ``graph``/``adjoints`` part completed from the ``variables`` part
    it names (function, inputs, test points, and its student function as ``forward``).

    The named exercise must come earlier in the sheet and be a variables part; otherwise a
    spec error names the line of ``of``.
    """
    done: list[Any] = []
    for ex in exercises:
        spec = getattr(ex, "graph", None)
        if spec is None or not spec.needs_forward:
            done.append(ex)
            continue
        target = next((e for e in done if e.id == spec.of), None)
        if target is None or target.graph is None or target.graph.part != VARIABLES:
            earlier = [e.id for e in done if e.graph is not None and e.graph.part == VARIABLES]
            raise reader.error(f"{spec.of!r} is not a variables part earlier in the sheet "
                               f"(those are: {', '.join(earlier) or 'none'})",
                               line=ex.line_of("of"), key="of")
        inherited = {name: getattr(target, name) for name in _INHERITED}
        if "tolerance" not in ex.lines:
            inherited["tolerance"] = target.tolerance
        done.append(dataclasses.replace(
            ex, **inherited, graph=dataclasses.replace(spec, forward=target.student)))
    return done


# --- the student template ------------------------------------------------------------------

_FORMS = {
    VARIABLES: (
        "Read as text, never run: one assignment per line, each a single operation on the "
        "inputs, numbers and the variables assigned above (like t1 = u * v, t2 = np.exp(t1)), "
        "then return the last variable. An operator (+ - * / ** @) or one numpy function "
        "(np.sqrt, np.log, np.sum, ...) is one operation."),
    GRAPH: (
        "Read as text, never run: each variable of {forward} -> the nodes it is computed "
        "from, like {{\"t1\": [\"u\", \"v\"], \"t2\": [\"t1\"]}}, or a list of edges "
        "(from, to), like [(\"u\", \"t1\"), (\"v\", \"t1\"), (\"t1\", \"t2\")]."),
    ADJOINTS: (
        "Read as text, never run: one line per node of {forward}, the inputs included: "
        "g_<node> = g_<child> * <local derivative> + ... over the node's direct children "
        "only, like g_u = g_t1 * v + g_t2 * np.exp(t1). Local derivatives are expressions of "
        "the forward variables, used by name (make them parameters to run this yourself); "
        "the output's adjoint is 1."),
}


def template_block(exercise: Any, heading: list[str]) -> str:
    """The template of one graph exercise: a function (variables, adjoints) or a ``None``
    literal to replace (graph), with the expected form but not the answer.

    >>> from gradcheck.spec import load_sheet
    >>> ex = load_sheet("sheet01").exercise("2b-A")
    >>> template_block(ex, ["Exercise 2b-A"]).splitlines()[-1]
    'graph_A = None'
    """
    spec = exercise.graph
    form = textwrap.wrap(_FORMS[spec.part].format(forward=spec.forward), width=88)
    if spec.part == GRAPH:
        lines = "\n".join([*heading, *form]).splitlines()
        comment = "\n".join(("# " + line).rstrip() for line in lines)
        return f"\n{comment}\n{exercise.student} = None\n"
    text = "\n".join([*heading, *form]).replace('"""', "'''")
    doc = textwrap.indent(f'"""{text}\n"""', "    ")
    params = ", ".join(exercise.input_names)
    return f"\ndef {exercise.student}({params}):\n{doc}\n    raise NotImplementedError\n"
