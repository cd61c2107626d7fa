"""Fixtures shared by the predict tests: one small run with saved models, built once."""

import pytest

from ferbench.cli import main


@pytest.fixture(scope="session")
def saved_run(tmp_path_factory, run_args):
    """svm and knn trained on toy-a and toy-b, within-dataset only, models saved."""
    tmp_path = tmp_path_factory.mktemp("predict")
    assert main(run_args(tmp_path, "--methods", "svm,knn", "--protocol", "within")) == 0
    return tmp_path / "runs" / "r"
