"""Test points of an exercise, with their reference answers.

Points come from the spec: fixed points (``{x: 1.0}``) and seeded random ones (``{random: 4}``)
drawn from each input's shape and domain. A point is used only where the function is finite,
the constraints hold, and central finite differences agree with the reference backprop;
anywhere else it is redrawn (random points) or reported as a spec error (fixed points), never
graded. The finite-difference agreement is most of the work of drawing points: with
``verify=False`` (grading) it is left at random points for :func:`agreement_problem` to check
where an answer fails, so that right answers never pay for it.

>>> from gradcheck.spec import load_sheet
>>> points = sample_points(load_sheet("sheet01").exercise("1d"), seed=1)
>>> len(points), points[0].expected[0].shape
(5, (2, 3))
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from gradcheck import engine, numeric
from gradcheck.errors import EvaluationError, ExpressionError, SpecError
from gradcheck.results import LAYER, LOSS, NODE, OBJECT
from gradcheck.spec import layer
from gradcheck.spec.bounds import check_drawn, check_jacobian
from gradcheck.spec.model import Exercise, InputSpec
from gradcheck.spec.sizes import formula, is_name

MAX_ATTEMPTS = 200          # redraws per random point before the spec is declared unusable
AGREEMENT_RTOL = 1e-6       # finite differences vs reference backprop, relative to the scale
MAX_MAGNITUDE = 1e8         # values and derivatives beyond this are badly conditioned points
PROBES = 1                  # random directions for the finite-difference agreement check
# Its ladders start at these steps (times the scale of x; None: the default, 0.5) in turn, the
# next only where the last did not settle on the reference: a smooth point beside a kink
# (relu at 1e-3) or beside the edge of the domain (sqrt(x1**2 - x3) at 0.3) agrees at steps
# that do not cross them. The reference is exact; only the check must not see past the point.
AGREEMENT_STEPS = (None, 1e-3, 1e-6)


@dataclass(frozen=True)
class TestPoint:
    """Inputs of one test point and what the student must answer there.

    derivative exercises: ``expected`` holds one derivative per ``wrt`` input.
    node exercises: ``expected`` is (forward value, gradient of each input) for the upstream
    gradient ``grad_output``.
    """

    inputs: Mapping[str, np.ndarray]
    expected: tuple[np.ndarray, ...]
    labels: tuple[str, ...]
    grad_output: np.ndarray | None = None
    fixed: bool = False
    probe: int = 0           # seed of the random directions of the agreement check
    verified: bool = True    # False: the agreement check is left for agreement_problem()

    def args(self) -> list[np.ndarray]:
        return list(self.inputs.values())


def sample_points(exercise: Exercise, seed: int, *, rejected: dict[str, int] | None = None,
                  file: str | None = None, verify: bool = True,
                  verify_fixed: bool = True) -> list[TestPoint]:
    """All test points of ``exercise`` for ``seed`` (deterministic).

    ``rejected``, if given, receives the random draws that were redrawn, counted by reason
    (``validate`` reports them: many redraws hint at a wrong domain or reference). A spec
    error names ``file`` (the spec's path). ``verify=False`` leaves out the finite-difference
    agreement check at random points (see :func:`agreement_problem`); the points are the
    same wherever it would have held. ``verify_fixed=False`` leaves it out at fixed points
    too, for the caller to check with :func:`fixed_point_error` (``PreparedSheet`` does).
    """
    try:
        with np.errstate(all="ignore"):   # points where f or f' is not finite are redrawn
            return _sample_points(exercise, seed, rejected, verify, verify_fixed)
    except SpecError as exc:
        if exc.file is None and file:
            raise SpecError(exc.message, file=file, line=exc.line, key=exc.key,
                            exercise=exc.exercise) from None
        raise


def _sample_points(exercise: Exercise, seed: int, rejected: dict[str, int] | None,
                   verify: bool, verify_fixed: bool) -> list[TestPoint]:
    points: list[TestPoint] = []
    stream = zlib.crc32(exercise.id.encode("utf-8"))
    for entry_index, entry in enumerate(exercise.points_at):
        if "random" in entry:
            for _ in range(entry["random"]):
                points.append(_random_point(exercise, seed, stream, len(points), rejected,
                                            verify))
        else:
            rng = np.random.default_rng([seed, stream, len(points), 0])
            # Fixed points are always verified: an author puts them where a kink may be, and
            # a fixed point that cannot be graded is the spec's error, whoever answers there.
            point, problem = _make_point(exercise, rng, dict(entry), is_fixed=True,
                                         verify=verify_fixed)
            if point is None:
                raise fixed_point_error(exercise, entry_index, problem)
            points.append(point)
    return points


def fixed_point_error(exercise: Exercise, entry_index: int, problem: str,
                      file: str | None = None) -> SpecError:
    """The spec error of fixed point ``points_at[entry_index]``, which cannot be graded.

    >>> from gradcheck.spec import load_sheet
    >>> error = fixed_point_error(load_sheet("sheet01").exercise("1c"), 0, "a kink", "s.yaml")
    >>> error.key, error.exercise, error.message
    ('points_at', '1c', 'fixed test point 1 cannot be graded: a kink')
    """
    return SpecError(f"fixed test point {entry_index + 1} cannot be graded: {problem}",
                     file=file, line=exercise.line_of("points_at"), key="points_at",
                     exercise=exercise.id)


def _random_point(exercise: Exercise, seed: int, stream: int, index: int,
                  rejected: dict[str, int] | None, verify: bool) -> TestPoint:
    problems: dict[str, int] = {}
    for attempt in range(MAX_ATTEMPTS):
        rng = np.random.default_rng([seed, stream, index, attempt])
        point, problem = _make_point(exercise, rng, {}, is_fixed=False, verify=verify)
        if point is not None:
            return point
        problems[problem] = problems.get(problem, 0) + 1
        if rejected is not None:
            rejected[problem] = rejected.get(problem, 0) + 1
    worst = max(problems, key=problems.get)
    raise SpecError(f"no usable random test point in {MAX_ATTEMPTS} draws (most often: "
                    f"{worst})", line=exercise.line_of("inputs"), key="inputs",
                    exercise=exercise.id)


def _make_point(exercise: Exercise, rng: np.random.Generator, fixed: dict[str, np.ndarray],
                *, is_fixed: bool, verify: bool = True) -> tuple[TestPoint | None, str]:
    try:
        values = _draw_inputs(exercise, rng, fixed)
        env = exercise.environment(values)
        for constraint in exercise.where:
            if not np.all(constraint.evaluate(env)):
                return None, f"the constraint {constraint.text!r} does not hold"
        if exercise.kind == NODE:
            point, value = _node_point(exercise, rng, values)
        elif layer.style(exercise) == LAYER:
            point, value = _layer_point(exercise, rng, values)
        else:
            point, value = _derivative_point(exercise, values)
    except (EvaluationError, ExpressionError) as exc:
        raise SpecError(str(exc), line=exercise.line_of("function"), key="function",
                        exercise=exercise.id) from None
    point = TestPoint(point.inputs, point.expected, point.labels, point.grad_output,
                      fixed=is_fixed, probe=int(rng.integers(2**31)), verified=verify)
    problem = _conditioning_problem(point, value) or (verify and agreement_problem(exercise,
                                                                                   point))
    return (None, problem) if problem else (point, "")


def _draw_inputs(exercise: Exercise, rng: np.random.Generator,
                 fixed: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    sizes: dict[str, int] = {}
    chosen: dict[str, tuple[int | str, ...]] = {}
    shapes: dict[str, tuple[int | str, ...]] = {}
    for spec in exercise.inputs:
        if isinstance(spec.shape, str):
            if spec.shape not in chosen:
                options = exercise.shapes[spec.shape]
                if spec.name in fixed:
                    matching = [o for o in options if len(o) == fixed[spec.name].ndim]
                    options = tuple(matching) or options
                chosen[spec.shape] = options[int(rng.integers(len(options)))]
            shapes[spec.name] = chosen[spec.shape]
        else:
            shapes[spec.name] = spec.shape
        if spec.name in fixed:
            _bind_sizes(exercise, spec.name, shapes[spec.name], fixed[spec.name].shape, sizes)
    values = {}
    for spec in exercise.inputs:
        shape = tuple(_size(d, exercise, sizes, rng) for d in shapes[spec.name])
        check_drawn(exercise.id, spec.name, shape)
        if spec.name in fixed:
            values[spec.name] = _fixed_value(exercise, spec, fixed[spec.name])
            continue
        if spec.is_data:
            values[spec.name] = _draw_data(exercise, spec, shape, sizes, rng)
            continue
        weights = np.array([high - low for low, high in spec.domain])
        which = rng.choice(len(spec.domain), size=shape, p=weights / weights.sum())
        low = np.array([d[0] for d in spec.domain])[which]
        high = np.array([d[1] for d in spec.domain])[which]
        values[spec.name] = np.asarray(low + (high - low) * rng.random(shape), dtype=float)
    return values


def _draw_data(exercise: Exercise, spec: InputSpec, shape: tuple[int, ...],
               sizes: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """A data input: integers from its range, or a mask kept with probability ``keep``."""
    if spec.dtype == "int":
        low, high = (_size(b, exercise, sizes, rng) if isinstance(b, str) else b
                     for b in spec.range)
        if not low < high:
            raise SpecError(f"the range of {spec.name!r} is empty for these sizes ({low} "
                            f"to {high})", line=spec.line, key="range", exercise=exercise.id)
        return rng.integers(low, high, size=shape, dtype=np.int64)
    kept = rng.random(shape) < spec.keep
    return kept if spec.dtype == "bool" else kept.astype(float)


def _fixed_value(exercise: Exercise, spec: InputSpec, value: np.ndarray) -> np.ndarray:
    if spec.dtype == "float" or spec.dtype == "mask":
        return np.array(value, dtype=float)
    if not np.all(np.isin(value, (0, 1)) if spec.dtype == "bool" else value == np.round(value)):
        raise SpecError(f"fixed value of {spec.name!r} must hold "
                        + ("true/false or 0/1" if spec.dtype == "bool" else "integers"),
                        line=exercise.line_of("points_at"), key="points_at",
                        exercise=exercise.id)
    return np.array(value, dtype=bool if spec.dtype == "bool" else np.int64)


def _bind_sizes(exercise: Exercise, name: str, dims: tuple[int | str, ...],
                actual: tuple[int, ...], sizes: dict[str, int]) -> None:
    if len(dims) != len(actual):
        raise SpecError(f"fixed value of {name!r} has shape {actual}, expected {len(dims)} "
                        "dimension(s)", line=exercise.line_of("points_at"), key="points_at",
                        exercise=exercise.id)
    for dim, n in zip(dims, actual, strict=True):
        if isinstance(dim, int) and dim != n or is_name(dim) and sizes.get(dim, n) != n:
            raise SpecError(f"fixed value of {name!r} has shape {actual}, which does not "
                            f"fit {list(dims)}", line=exercise.line_of("points_at"),
                            key="points_at", exercise=exercise.id)
        if is_name(dim):
            sizes[dim] = n


def _size(dim: int | str, exercise: Exercise, sizes: dict[str, int],
          rng: np.random.Generator) -> int:
    if isinstance(dim, int):
        return dim
    if dim in exercise.derived and dim not in sizes:
        sizes[dim] = _size(exercise.derived[dim], exercise, sizes, rng)
    if not is_name(dim):  # a formula of sizes: draw them, then compute
        for name in sorted(formula(dim).names):
            _size(name, exercise, sizes, rng)
        n = formula(dim).value(sizes)
        if n < 1:
            raise SpecError(f"dimension {dim!r} is {n} for the sizes {sizes}",
                            line=exercise.line_of("inputs"), key="inputs",
                            exercise=exercise.id)
        return n
    if dim not in sizes:
        low, high = exercise.sizes[dim]
        sizes[dim] = int(rng.integers(low, high + 1))
    return sizes[dim]


def reference_answers(exercise: Exercise, inputs: Mapping[str, np.ndarray],
                      grad_output: np.ndarray | None = None
                      ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The function's value and the answers the student must give at ``inputs``: one
    derivative per ``wrt`` input, or for a node the forward value and the gradient of
    ⟨grad_output, f⟩ with respect to every input."""
    if layer.style(exercise) == LAYER:
        return layer.layer_reference(exercise, inputs, grad_output)
    if layer.style(exercise) == LOSS:
        return layer.loss_reference(exercise, inputs)
    if exercise.kind == NODE:
        value, grads = engine.vjp(exercise.build, inputs, list(exercise.differentiable),
                                  grad_output)
        return value, (np.asarray(value, dtype=float), *grads)
    def checked(**nodes: engine.Node) -> engine.Node:   # f's size, before J is allocated
        out = exercise.build(**nodes)
        check_jacobian(exercise.id, out.shape,
                       {name: np.shape(inputs[name]) for name in exercise.wrt})
        return out
    value, jacobians = engine.jacobian(checked, inputs, list(exercise.wrt))
    return value, tuple(jacobians)


def answer_function(exercise: Exercise, point: TestPoint, k: int
                    ) -> tuple[str, Callable[[np.ndarray], np.ndarray]] | None:
    """Answer ``k`` of ``point`` is the derivative of ``f`` with respect to input ``name``:
    ``(name, f)`` (None for a node's forward value, which is no derivative)."""
    if layer.style(exercise) in (LAYER, LOSS):
        return layer.answer_of(exercise, point, k)
    if exercise.kind == NODE:
        if k == 0:
            return None
        name, g = exercise.differentiable[k - 1], point.grad_output

        def f(v: np.ndarray) -> np.ndarray:
            return np.sum(g * exercise.evaluate({**point.inputs, name: v}))
    else:
        name = exercise.wrt[k]

        def f(v: np.ndarray) -> np.ndarray:
            return exercise.evaluate({**point.inputs, name: v})
    return name, f


def _derivative_point(exercise: Exercise, values: dict[str, np.ndarray]
                      ) -> tuple[TestPoint, np.ndarray]:
    value, answers = reference_answers(exercise, values)
    labels = tuple(f"d/d{name}" for name in exercise.wrt)
    if exercise.kind == LOSS:
        labels = ("loss", *labels)
    elif exercise.kind == OBJECT:
        labels = (f"result.{exercise.protocol['value']}",
                  *(f"{n}.{exercise.protocol['grad']}" for n in exercise.wrt))
    return TestPoint(values, answers, labels), value


def _layer_point(exercise: Exercise, rng: np.random.Generator,
                 values: dict[str, np.ndarray]) -> tuple[TestPoint, np.ndarray]:
    outs = layer.output_values(exercise, values)
    grad_output = np.concatenate([rng.standard_normal(o.size) for o in outs])
    value, answers = reference_answers(exercise, values, grad_output)
    names = exercise.output_names
    weights = exercise.protocol.get("weights", {})
    labels = tuple(f"forward: {n}" for n in names) + tuple(
        f"attribute {weights[n]}" if n in weights else f"backward: d{n}" for n in exercise.wrt)
    return TestPoint(values, answers, labels, grad_output=grad_output), value


def _node_point(exercise: Exercise, rng: np.random.Generator,
                values: dict[str, np.ndarray]) -> tuple[TestPoint, np.ndarray]:
    shape = np.shape(exercise.evaluate(values))
    grad_output = np.asarray(rng.standard_normal(shape))
    value, answers = reference_answers(exercise, values, grad_output)
    labels = ("forward",) + tuple(f"backward: gradient of {n}" for n in exercise.differentiable)
    return TestPoint(values, answers, labels, grad_output=grad_output), value


def _conditioning_problem(point: TestPoint, value: np.ndarray) -> str:
    for array in (*point.inputs.values(), value, *point.expected):
        if not array.size:
            continue
        largest = np.max(np.abs(array))   # NaN or inf when an entry is
        if not np.isfinite(largest):
            return "the function or its derivative is not finite there"
        if largest > MAX_MAGNITUDE:
            return "the function or its derivative is too large there"
    return ""


def agreement_problem(exercise: Exercise, point: TestPoint) -> str:
    """Why the reference backprop cannot be trusted at ``point`` ("" when it can): central
    finite differences along a random direction disagree with it, or ``f`` has a kink there.

    >>> from gradcheck.spec import load_sheet
    >>> exercise = load_sheet("sheet01").exercise("1c")
    >>> point = sample_points(exercise, seed=1, verify=False)[-1]   # a random one
    >>> point.verified, agreement_problem(exercise, point)
    (False, '')
    """
    for k, reference in enumerate(point.expected):
        found = answer_function(exercise, point, k)
        if found is None:
            continue
        name, f = found
        x = point.inputs[name]
        directions = numeric.random_directions(x.shape, PROBES, point.probe + k)
        expected = np.stack([np.tensordot(reference, d, axes=x.ndim) for d in directions])
        scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
        if not any(_agrees(f, x, directions, expected, scale, step)
                   for step in AGREEMENT_STEPS) or numeric.kink(f, x, directions[0]):
            return ("finite differences disagree with the reference derivative (not "
                    "differentiable there?)")
    return ""


def _agrees(f: Callable, x: np.ndarray, directions: np.ndarray, expected: np.ndarray,
            scale: float, base_step: float | None) -> bool:
    """Whether central differences along ``directions`` (ladders from ``base_step`` times
    the scale of ``x`` down) settle on ``expected``."""
    estimate = numeric.directional(f, x, directions, base_step=base_step)
    err = np.abs(estimate.value - expected)
    return bool(np.all(err <= AGREEMENT_RTOL * scale + 10 * estimate.error))
