"""Exception types of gradcheck.

Library code raises these; only ``cli.py`` turns them into messages and exit codes.
A student's mistake is never one of these: it is a graded result (see ``gradcheck.results``).
"""

from __future__ import annotations


class GradcheckError(Exception):
    """Base class of every error gradcheck raises on purpose."""


class SpecError(GradcheckError):
    """A malformed exercise spec: names the file, the line, the key and, when the problem
    belongs to one exercise, that exercise.

    >>> str(SpecError("points must be positive", file="sheet.yaml", line=12, key="points"))
    'sheet.yaml:12: points: points must be positive'
    >>> error = SpecError("no usable test point", file="s.yaml", line=3, exercise="1a")
    >>> str(error), error.text(exercise=False)
    ('s.yaml:3: exercise 1a: no usable test point', 's.yaml:3: no usable test point')
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None, exercise: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        self.exercise = exercise
        super().__init__(str(self))

    def text(self, *, exercise: bool = True) -> str:
        """The message with where it is; ``exercise=False`` leaves the exercise out (for a
        report that lists it already)."""
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
        prefix = f"{where}: "
        if self.key:
            prefix += f"{self.key}: "
        if exercise and self.exercise is not None:
            prefix += f"exercise {self.exercise}: "
        return prefix + self.message

    def __str__(self) -> str:
        return self.text()


class ExpressionError(GradcheckError):
    """An expression that does not parse or uses something outside the allow-list.

    The message quotes the expression and says what is allowed.
    """

    def __init__(self, message: str, expression: str = ""):
        self.message = message
        self.expression = expression
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.expression:
            return f"{self.message} in expression {self.expression!r}"
        return self.message


class EvaluationError(GradcheckError):
    """An expression that parsed but cannot be evaluated on the given inputs (shapes, size)."""


class SubmissionError(GradcheckError):
    """A submission that cannot be graded at all: the file does not exist or is not .py/.ipynb."""


class SandboxError(GradcheckError):
    """The isolated worker could not be started (a grader-side problem, not the student's)."""


class UsageError(GradcheckError):
    """Arguments that do not fit together (e.g. ``--github`` outside GitHub Actions)."""


class StudentCodeError(GradcheckError):
    """A call into a function that runs in a sandbox worker went wrong there: it raised, did
    not return numbers, or was stopped. ``status`` is the worker's (``error``, ``invalid``,
    ``timeout``, ``crashed``, ...); the message is the worker's one line, which names the
    function and the line of the failure.

    >>> StudentCodeError("ValueError: no in df (work.ipynb, cell 3, line 2)", "error").status
    'error'
    """

    def __init__(self, message: str, status: str = "error"):
        super().__init__(message)
        self.status = status
