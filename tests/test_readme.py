"""The README's examples work as a user would paste them."""

from __future__ import annotations

from pathlib import Path

from ferbench.cli import main
from ferbench.results.store import ResultStore
from tests.conftest import REPO


def readme_block(heading: str, language: str = "python") -> str:
    """The first ``language`` code block under ``heading`` in the README."""
    section = (REPO / "README.md").read_text().split(f"\n{heading}\n", 1)[1]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_plugin_example_runs_and_learns_beside_a_builtin_method(tmp_path: Path):
    plugin = tmp_path / "my_methods.py"
    plugin.write_text(readme_block("## Writing a plugin"))
    small = [f"--set=synth-fer.{split}={n}" for split, n in
             (("n_train", 700), ("n_val", 70), ("n_test", 350))]
    code = main(["run", "--plugins", str(plugin), "--methods", "hog-mean,knn", "--datasets",
                 "synth-fer", "--protocol", "within", *small, "--out", str(tmp_path / "run"),
                 "--reports", str(tmp_path / "reports")])
    assert code == 0
    records = [r for r in ResultStore(tmp_path / "run").records() if r["method"] == "hog-mean"]
    assert len(records) == 1 and records[0]["status"] == "ok"
    assert records[0]["metrics"]["accuracy"] > 2 / 7  # seven classes: chance is 1/7
    assert "| hog-mean" in (tmp_path / "reports" / "run" / "README.md").read_text()
