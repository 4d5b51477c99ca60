"""Grading: a sheet and a submission -> a SheetResult (``grader``), a spec's self-test
(``validate``), and the typical wrong answers it tries (``mutants``)."""
