"""The graph drawings: the Mermaid block of the Markdown report parses as a Mermaid flowchart
(a strict parser of the subset gradcheck writes, always; the real mermaid parser too where
node and the npm packages are installed: GRADCHECK_MERMAID names a folder holding
node_modules/mermaid and node_modules/jsdom), and ``grade -v`` shows the text drawing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.render.graph import mermaid, text_tree
from gradcheck.render.markdown import to_markdown
from gradcheck.results import GraphNode, SheetResult

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
PARSER = Path(__file__).with_name("mermaid_parse.mjs")

# The subset written: a header, node statements id + shape + quoted label, and links.
_HEADER = re.compile(r"^flowchart (TB|TD|BT|LR|RL)$")
_NODE = re.compile(r'^  (n\d+|more)(\(\["|\["|\[\[")([^"]*)("\]\)|"\]|"\]\])$')
_LINK = re.compile(r"^  (n\d+) --> (n\d+)$")
_CLOSE = {'(["': '"])', '["': '"]', '[["': '"]]'}


def parse_flowchart(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Strictly parse what gradcheck emits as Mermaid; raise ValueError on anything else."""
    lines = text.split("\n")
    if not _HEADER.match(lines[0]):
        raise ValueError(f"bad header {lines[0]!r}")
    nodes: dict[str, str] = {}
    links = []
    for line in lines[1:]:
        node, link = _NODE.match(line), _LINK.match(line)
        if node:
            if _CLOSE[node.group(2)] != node.group(4) or node.group(1) in nodes:
                raise ValueError(f"bad node {line!r}")
            if re.search(r"#(?!\d+;)", node.group(3)):
                raise ValueError(f"bad entity in {line!r}")
            nodes[node.group(1)] = re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))),
                                          node.group(3))
        elif link:
            if not {link.group(1), link.group(2)} <= set(nodes):
                raise ValueError(f"link to an undeclared node {line!r}")
            links.append((link.group(1), link.group(2)))
        else:
            raise ValueError(f"not in the flowchart subset: {line!r}")
    return nodes, links


@pytest.fixture(scope="module")
def graded():
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(SOLUTION), "-f", "json"])
    return SheetResult.from_dict(json.loads(result.output))


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", markdown, re.S)


def test_the_markdown_report_has_a_flowchart_per_graph(graded):
    blocks = mermaid_blocks(to_markdown(graded))
    assert len(blocks) == 2
    nodes, links = parse_flowchart(blocks[0])
    assert set(nodes.values()) >= {"a", "b", "c", "t1 = a + b", "t9 = t8 + t7"}
    assert len(links) == 15      # graph_A's edges
    labels = {k: v for k, v in nodes.items()}
    assert ("t3 = t1 + t2", "t4 = np.sqrt(t3)") in {(labels[a], labels[b]) for a, b in links}


HOSTILE = (GraphNode("x", 'x"]) --> evil[("', (), "input"),
           GraphNode("t1", "t1 = x ` # ; <b>\n%%{init}%%", ("x",), "output", 1))


def test_student_text_cannot_break_out_of_a_label():
    nodes, links = parse_flowchart(mermaid(HOSTILE))
    assert list(nodes.values()) == ['x"]) --> evil[("', "t1 = x ` # ; <b> %%{init}%%"]
    assert links == [("n0", "n1")]


def _mermaid_folder() -> Path | None:
    folder = os.environ.get("GRADCHECK_MERMAID")
    if not folder or shutil.which("node") is None:
        return None
    path = Path(folder)
    return path if (path / "node_modules" / "mermaid").is_dir() else None


@pytest.mark.skipif(_mermaid_folder() is None, reason="mermaid (npm) not installed here")
@pytest.mark.parametrize("which", ["report", "hostile"])
def test_the_real_mermaid_parser_accepts_the_flowcharts(graded, which):
    text = mermaid_blocks(to_markdown(graded))[0] if which == "report" else mermaid(HOSTILE)
    folder = _mermaid_folder()
    script = folder / PARSER.name
    shutil.copy(PARSER, script)
    done = subprocess.run(["node", str(script)], input=text, capture_output=True, text=True,
                          cwd=folder, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {"ok": True, "type": "flowchart-v2"}


def test_grade_verbose_shows_the_drawing():
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(SOLUTION), "-v"])
    assert result.exit_code == 0, result.output
    assert "2b-A: the graph of your intermediate variables" in result.output
    assert "t9 = t8 + t7  (output)" in result.output and "t3 (above)" in result.output
    plain = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(SOLUTION)])
    assert "the graph of your intermediate variables" not in plain.output


def test_text_tree_names_a_shared_node_once():
    tree = text_tree(HOSTILE[:1] + (GraphNode("t1", "t1 = x * x", ("x",), "variable"),
                                    GraphNode("t2", "t2 = t1 + t1", ("t1",), "output")))
    assert tree.splitlines() == ["t2 = t1 + t1  (output)", "└── t1 = x * x",
                                 '    └── x"]) --> evil[("']
