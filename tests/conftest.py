"""Fixtures shared by the test modules (the helpers behind them are in tests/fixtures.py)."""

import pytest

from tests.fixtures import DvcProject, make_project, make_tiny


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> DvcProject:
    """One repository that has run the whole tiny pipeline once, committed on main; built once per test
    session. A test that changes it puts it back (git checkout, dvc checkout) before it returns."""
    project = make_project(tmp_path_factory.mktemp("pipeline"))
    make_tiny(project)
    project.first_output = project.dvc("repro").stdout
    project.run("git", "add", "-A")
    project.run("git", "commit", "-q", "-m", "baseline")
    return project
