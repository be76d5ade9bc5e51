"""The Makefile picks a Python the pinned packages support, or says in one line which one it needs; `make
help` lists every target."""

import re
import shutil
import subprocess
import sys

import pytest

from tests.fixtures import PROJECT_ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


def _run_make(tmp_path, pythons: dict[str, bool], *args: str) -> subprocess.CompletedProcess:
    """`make setup` in a copy of the Makefile, with PATH holding only fake interpreters: each one is this
    test's interpreter (a supported version) or one that fails the version check, as Python 3.9 would."""
    work, bin_dir = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        shutil.copy2(PROJECT_ROOT / name, work / name)
    for name, supported in pythons.items():
        body = f'exec "{sys.executable}" "$@"' if supported else "exit 1"
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return subprocess.run(
        [MAKE, *args, "setup"],
        cwd=work,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python311_is_preferred(tmp_path):
    dry_run = _run_make(tmp_path, {"python3.11": True, "python3": True}, "-n")
    assert "\npython3.11 -m venv .venv" in dry_run.stdout


def test_python3_of_a_supported_version_is_used_when_python311_is_missing(tmp_path):
    dry_run = _run_make(tmp_path, {"python3": True}, "-n")
    assert "\npython3 -m venv .venv" in dry_run.stdout


def test_no_supported_python_stops_with_one_line_naming_the_versions(tmp_path):
    proc = _run_make(tmp_path, {"python3": False})
    assert proc.returncode != 0
    assert proc.stderr.splitlines()[0].startswith("make: needs Python 3.11, 3.12 or 3.13")
    assert not (tmp_path / "work/.venv").exists()


def test_make_help_lists_every_target_with_a_line_each():
    out = subprocess.run([MAKE, "-s", "help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    listed = {line.split()[1]: line.split(None, 2)[2] for line in out.stdout.splitlines()}
    phony = re.search(r"^\.PHONY: (.*)$", (PROJECT_ROOT / "Makefile").read_text(), re.M).group(1).split()
    expected = {"notebook-NAME" if t.startswith("notebook-") else t for t in phony}
    assert set(listed) == expected and all(listed.values())
