"""The GitHub workflows are valid against GitHub's workflow schema and pass zizmor's security audit, both
offline (check-jsonschema ships the schema; zizmor's offline audits need no network)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import PROJECT_ROOT

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)


def test_the_pull_request_report_and_the_pages_workflows_exist():
    assert [w.name for w in WORKFLOWS] == ["pages.yml", "report.yml"]
    report = (PROJECT_ROOT / ".github" / "workflows" / "report.yml").read_text()
    for step in ("make repro", "make report", "cml comment create"):
        assert step in report
    pages = (PROJECT_ROOT / ".github" / "workflows" / "pages.yml").read_text()
    for step in ("branches: [main]", "make site", "actions/upload-pages-artifact@", "path: site/",
                 "actions/deploy-pages@", "pages: write", "id-token: write"):  # fmt: skip
        assert step in pages


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflow_matches_githubs_schema(workflow):
    proc = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_workflow_passes_zizmor_offline(workflow):
    proc = run(str(BIN / "zizmor"), "--offline", "--no-progress", str(workflow))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_checks_catch_a_broken_workflow(tmp_path):
    """A job without runs-on fails the schema; an unpinned third-party action fails zizmor."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo hi\n")
    schema = ("--builtin-schema", "vendor.github-workflows")
    assert run(str(BIN / "check-jsonschema"), *schema, str(bad)).returncode
    unpinned = tmp_path / "unpinned.yml"
    unpinned.write_text(
        "on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions: {}\n"
        "    steps:\n      - uses: someone/some-action@main\n"
    )
    assert run(str(BIN / "zizmor"), "--offline", "--no-progress", str(unpinned)).returncode
