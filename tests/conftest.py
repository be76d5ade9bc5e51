"""Fixtures shared by the test modules (the helpers behind them are in tests/fixtures.py)."""

import shutil
import subprocess

import pytest

from tests.fixtures import PROJECT_ROOT, DvcProject, make_project, make_tiny


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


@pytest.fixture
def clone(pipeline, tmp_path) -> DvcProject:
    """A fresh clone of the session's pipeline repository, with its DVC cache (as a remote would give):
    a newcomer's checkout, the synthetic data in place of MNIST."""
    root = tmp_path / "mnist-dvc"
    subprocess.run(["git", "clone", "-q", str(pipeline.root), str(root)], check=True, env=pipeline.env)
    shutil.copytree(pipeline.root / ".dvc" / "cache", root / ".dvc" / "cache")
    shutil.copytree(PROJECT_ROOT / "docs" / "digits", root / "docs" / "digits")
    project = DvcProject(root, {**pipeline.env, "COLUMNS": "120"})  # a terminal's width, for dvc's tables
    for key, value in (("user.name", "tutorial reader"), ("user.email", "reader@example.invalid")):
        project.run("git", "config", key, value)
    return project
