"""Batch grading: a folder of submissions -> a gradebook CSV, a feedback file per student and
a summary, every submission graded in its own sandboxed worker, in parallel, resumable.

>>> from gradcheck.batch import run_batch
>>> from gradcheck.spec import find_spec, load_sheet
>>> report = run_batch(load_sheet("sheet01"), find_spec("sheet01"), "submissions/",
...                    "grades.csv", feedback="feedback/", jobs=2)    # doctest: +SKIP
>>> report.summary.count, report.summary.mean                         # doctest: +SKIP
(120, 51.3)

- :mod:`gradcheck.batch.run` is :func:`run_batch`: discover, grade what the journal does not
  hold yet, write the gradebook, the feedback and the summary.
- :mod:`gradcheck.batch.discover` finds one submission per student (sorted ids).
- :mod:`gradcheck.batch.journal` saves every finished submission at once (JSON lines,
  fsynced); on a rerun, saved results whose submission file, spec, seed, timeout, sandbox
  mode and version match are reused, so an interrupted batch resumes where it stopped.
  Without a seed, a fresh batch grades with a random one the journal records (and a resumed
  batch reuses): memorised answers at the spec's public points win nothing.
- :mod:`gradcheck.batch.pool` runs the grading processes (one per job).
- The gradebook (:mod:`gradcheck.render.csv`) is written atomically once every submission is
  graded; it holds no times, so the same submissions, spec and seed give the same file.

Missing submissions (a student folder without one) are zero rows with status ``missing``; a
row ``graded with errors`` (an exercise crashed or timed out) names the first such exercise;
submissions the grader could not grade at all (the file vanished, no worker could be
started) are rows with empty scores and status ``not graded``, not saved in the journal, so a
rerun tries them again.

The names below come from :mod:`gradcheck.batch.run` when first used, not when the package
is imported: a batch's grading processes import :mod:`gradcheck.batch.process` (and so this
package) first thing, and start their sandbox before the grading modules and numpy import.
"""

from __future__ import annotations

__all__ = ["BatchReport", "BatchSummary", "Progress", "Row", "default_jobs", "missing_result",
           "public_seed_warning", "run_batch", "summarize"]


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from gradcheck.batch import run

    return getattr(run, name)
