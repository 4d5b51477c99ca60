"""`gradcheck batch` through the real CLI on a folder of mixed submissions: every row as a single
`gradcheck grade` gives it, feedback files, resuming (also after kill -9 and Ctrl-C),
regrading changed files, --fresh (the parts, one at a time: tests/batch/test_batch_parts.py)."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.batch.journal import journal_path
from gradcheck.cli import main
from gradcheck.render.csv import gradebook_rows
from gradcheck.results import SheetResult
from gradcheck.spec import load_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
WRONG = Path(__file__).resolve().parents[1] / "submissions"
TIMEOUT = "0.5"
SEED = "4242"


def _wrong(override: str) -> str:
    return SOLUTION.read_text() + "\n\n" + (WRONG / override).read_text()


def _notebook(code: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Sheet 01"]}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": part.splitlines(keepends=True)} for part in code.split("\n\n\n")]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def make_folder(root: Path) -> Path:
    """A download of seven students: right, wrong (nested), broken, hanging, notebook, none,
    and a flat file."""
    files = {
        "sheet01-alice/sheet01.py": SOLUTION.read_text(),
        "sheet01-bob/repo/sheet01.py": _wrong("transposed_1d.py"),
        "sheet01-carl/sheet01.py": (WRONG / "syntax_error.py").read_text(),
        "sheet01-dave/sheet01.py": _wrong("loops_forever_1c.py"),
        "sheet01-erin/sheet01.ipynb": _notebook(SOLUTION.read_text()),
        "sheet01-frank/notes.py": "print('see the attached photo')\n",
        "sheet01-gina_sheet01.py": _wrong("mul_swapped.py"),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run_batch_cli(folder: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["batch", "sheet01", str(folder), "-o",
                                     str(out / "grades.csv"), "--timeout", TIMEOUT, *args])


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def journal_students(out: Path) -> list[str]:
    lines = journal_path(out / "grades.csv").read_text().splitlines()
    return [json.loads(line)["student"] for line in lines]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = make_folder(tmp_path_factory.mktemp("submissions"))
    out = tmp_path_factory.mktemp("out")
    result = run_batch_cli(folder, out, "--jobs", "2", "--feedback", str(out / "feedback"),
                           "--strip-prefix", "--seed", SEED)
    assert result.exit_code == 0, result.output
    return folder, out, result.output, (out / "grades.csv").read_text()


def test_every_student_has_a_row_sorted_by_id(batch):
    _folder, out, output, _ = batch
    rows = read_csv(out / "grades.csv")
    assert rows[0][0] == "student" and rows[0][-2:] == ["status", "note"]
    assert [r[0] for r in rows[1:]] == ["alice", "bob", "carl", "dave", "erin", "frank", "gina"]
    status = {r[0]: r[-2] for r in rows[1:]}
    assert status == {"alice": "graded", "bob": "graded", "carl": "load error",
                      "dave": "graded with errors", "erin": "graded", "frank": "missing",
                      "gina": "graded"}


def _single_grade(path: Path) -> SheetResult:
    result = CliRunner().invoke(main, ["grade", "sheet01", "--submission", str(path),
                                       "--format", "json", "--timeout", TIMEOUT,
                                       "--seed", SEED])
    assert result.exit_code in (0, 1), result.output
    return SheetResult.from_dict(json.loads(result.output))


@pytest.mark.parametrize("student, path", [
    ("alice", "sheet01-alice/sheet01.py"), ("bob", "sheet01-bob/repo/sheet01.py"),
    ("carl", "sheet01-carl/sheet01.py"), ("dave", "sheet01-dave/sheet01.py"),
    ("erin", "sheet01-erin/sheet01.ipynb"), ("gina", "sheet01-gina_sheet01.py")])
def test_each_row_is_what_a_single_grade_gives(batch, student, path):
    folder, out, _, _ = batch
    header, rows = gradebook_rows([(student, _single_grade(folder / path))])
    batch_rows = read_csv(out / "grades.csv")
    assert batch_rows[0] == header
    row = next(r for r in batch_rows if r[0] == student)
    assert row == rows[0]                      # every score, the total, the status, the note
    if row[-2] == "graded with errors":
        assert row[-1].startswith("1c: calling d_1c did not finish within 0.5 s")


def test_expected_scores(batch):
    _, out, _, _ = batch
    rows = {r[0]: r for r in read_csv(out / "grades.csv")}
    total = rows["student"].index("automatic (100)")
    assert {k: rows[k][total] for k in ("alice", "bob", "carl", "dave", "erin", "gina")} == \
        {"alice": "100", "bob": "98", "carl": "0", "dave": "98", "erin": "100", "gina": "86"}
    assert "line 8" in rows["carl"][-1]


def test_a_folder_without_a_submission_is_a_zero_row(batch):
    _, out, _, _ = batch
    header, *rows = read_csv(out / "grades.csv")
    frank = dict(zip(header, next(r for r in rows if r[0] == "frank"), strict=True))
    assert frank["automatic (100)"] == "0" and frank["1a (2)"] == "0"
    assert frank["2a-A (4)"] == "0"
    assert frank["note"] == "no sheet01.py or sheet01.ipynb in sheet01-frank/ (found: notes.py)"


def test_feedback_file_per_student(batch):
    _, out, _, _ = batch
    feedback = out / "feedback"
    assert sorted(p.name for p in feedback.iterdir()) == [
        f"{s}.md" for s in ("alice", "bob", "carl", "dave", "erin", "frank", "gina")]
    assert (feedback / "alice.md").read_text().startswith("# sheet01: 100 / 100 points")
    bob = (feedback / "bob.md").read_text()
    assert bob.startswith("# sheet01: 98 / 100 points") and "transpose" in bob
    assert "did not load" in (feedback / "carl.md").read_text()
    assert "timeout" in (feedback / "dave.md").read_text()
    assert "No submission was found" in (feedback / "frank.md").read_text()


def test_summary_on_the_terminal(batch):
    _, _, output, _ = batch
    assert "7 students: 6 submitted (1 did not load), 1 missing" in output
    assert "mean 80.33" in output and "median 98" in output
    assert "█" in output and "Passed, per exercise" in output and "Slowest" in output
    assert "carl" in output.split("Load errors")[1] and "frank" in output.split("Missing")[1]
    assert "grading 6 of 6 submissions with 2 job(s)" in output   # plain progress: no terminal


def test_rerun_reuses_saved_results_and_regrades_a_changed_file(batch, tmp_path):
    folder, out, _, first = batch
    folder2, out2 = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(folder, folder2)
    shutil.copytree(out, out2)
    again = run_batch_cli(folder2, out2, "--jobs", "1", "--strip-prefix", "--feedback",
                          str(tmp_path / "feedback"), "--seed", SEED)
    assert again.exit_code == 0, again.output
    assert (out2 / "grades.csv").read_text() == first
    assert "0 graded" in again.output and "6 saved before" in again.output
    for page in (out / "feedback").iterdir():   # rendered from the journal: the same text
        assert (tmp_path / "feedback" / page.name).read_text() == page.read_text(), page.name
    (folder2 / "sheet01-bob/repo/sheet01.py").write_text(SOLUTION.read_text())
    changed = run_batch_cli(folder2, out2, "--jobs", "1", "--strip-prefix", "--seed", SEED)
    assert changed.exit_code == 0, changed.output
    assert journal_students(out2).count("bob") == 2 and len(journal_students(out2)) == 7
    rows = {r[0]: r for r in read_csv(out2 / "grades.csv")}
    assert rows["bob"][rows["student"].index("automatic (100)")] == "100"
    resumed = (out2 / "grades.csv").read_text()
    assert resumed != first
    fresh = run_batch_cli(folder2, out2, "--jobs", "2", "--strip-prefix", "--fresh",
                          "--seed", SEED)
    assert fresh.exit_code == 0, fresh.output
    assert sorted(journal_students(out2)) == ["alice", "bob", "carl", "dave", "erin", "gina"]
    assert (out2 / "grades.csv").read_text() == resumed     # graded again: the same gradebook
    assert "6 graded" in fresh.output


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _start_batch(folder: Path, out: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "gradcheck", "batch", "sheet01", str(folder),
                             "-o", str(out / "grades.csv"), "--jobs", "1", "--timeout", TIMEOUT,
                             "--strip-prefix"], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop_after_first_result(process: subprocess.Popen, out: Path, how) -> set[int]:
    journal = journal_path(out / "grades.csv")
    deadline = time.monotonic() + 60
    while not (journal.exists() and journal.read_text().count("\n") >= 1):
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        time.sleep(0.01)
    family = _descendants(process.pid)
    how(process)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(family), "processes left behind"
    return family


def journal_seeds(out: Path) -> set[int]:
    lines = journal_path(out / "grades.csv").read_text().splitlines()
    return {json.loads(line)["seed"] for line in lines}


def test_kill_9_then_rerun_resumes_with_the_same_csv_and_seed(batch, tmp_path):
    folder, _, _, first = batch
    out = tmp_path / "out"
    process = _start_batch(folder, out)      # no --seed: a random one, kept in the journal
    family = _stop_after_first_result(process, out, lambda p: os.kill(p.pid, signal.SIGKILL))
    assert family, "the batch had started grading processes"
    assert not (out / "grades.csv").exists()
    done = journal_students(out)
    assert 1 <= len(done) < 6
    (seed,) = journal_seeds(out)
    again = run_batch_cli(folder, out, "--strip-prefix")
    assert again.exit_code == 0, again.output
    assert sorted(journal_students(out)) == ["alice", "bob", "carl", "dave", "erin", "gina"]
    assert f"{len(done)} saved before" in again.output
    assert journal_seeds(out) == {seed}                  # the resumed run kept the seed ...
    assert f"seed {seed} (drawn at random when this batch started" in again.output
    rerun = run_batch_cli(folder, out, "--strip-prefix")
    assert rerun.exit_code == 0 and "0 graded" in rerun.output, rerun.output
    # ... and these submissions score the same at any points: the fixture's gradebook
    assert (out / "grades.csv").read_text() == first


def test_fresh_batches_without_a_seed_draw_different_ones(tmp_path):
    folder = tmp_path / "subs"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "sheet01.py").write_text(SOLUTION.read_text())
    seeds = []
    for run in range(2):
        result = run_batch_cli(folder, tmp_path / f"out{run}", "--jobs", "1")
        assert result.exit_code == 0, result.output
        seeds.append(journal_seeds(tmp_path / f"out{run}"))
        assert f"seed {min(seeds[-1])} (drawn at random for this batch" in result.output
    assert len(seeds[0]) == len(seeds[1]) == 1 and seeds[0] != seeds[1]
    assert load_sheet("sheet01").seed not in seeds[0] | seeds[1]
    public = run_batch_cli(folder, tmp_path / "out0", "--seed",
                           str(load_sheet("sheet01").seed))
    assert public.exit_code == 0 and "is the spec's public one" in public.output


def test_ctrl_c_stops_cleanly_and_keeps_the_journal(batch, tmp_path):
    folder, _, _, _ = batch
    out = tmp_path / "out"
    process = _start_batch(folder, out)
    _stop_after_first_result(process, out, lambda p: os.killpg(p.pid, signal.SIGINT))
    assert process.returncode == 130
    assert "run the same command again" in process.stdout.read().decode()
    assert not (out / "grades.csv").exists() and 1 <= len(journal_students(out)) < 6


def test_usage_errors_exit_2(tmp_path):
    empty = CliRunner().invoke(main, ["batch", "sheet01", str(tmp_path), "-o",
                                      str(tmp_path / "g.csv")])
    assert empty.exit_code == 2 and "no submissions" in empty.output
    unknown = CliRunner().invoke(main, ["batch", "no-such-sheet", str(tmp_path)])
    assert unknown.exit_code == 2
    helped = CliRunner().invoke(main, ["batch", "--help"])
    assert helped.exit_code == 0 and "--id-column" in helped.output
