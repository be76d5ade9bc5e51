"""Complete `dvc push/pull --run-cache` for stages with `cache: false` metrics and plots.

DVC's run-cache saves a stage's uncached outputs (our committed metrics, plots and pictures) into the local
cache so that it can restore them, but `dvc push --run-cache` sends only the objects of *cached* outputs.
A clone then holds a run-cache entry it cannot restore, and retrains instead. This moves the missing
objects too: every output hash named by a run-cache entry, whichever kind of output it is.

    python -m tools.share_run_cache push   # after `dvc push --run-cache` (make push does both)
    python -m tools.share_run_cache pull   # after `dvc pull --run-cache` (make pull does both)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml


def run_cache_output_hashes(runs_dir: Path) -> set[str]:
    """The md5 of every output of every run-cache entry under ``runs_dir``."""
    hashes = set()
    for entry in runs_dir.glob("*/*/*"):
        try:
            stage = yaml.safe_load(entry.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue  # a damaged entry: DVC ignores it as well
        hashes.update(str(out["md5"]) for out in stage.get("outs", []) if out.get("md5"))
    return hashes


def with_directory_members(hashes: set[str], local) -> set[str]:
    """``hashes`` plus the files of every directory (``<md5>.dir``) among them that ``local`` holds: a
    ``cache: false`` directory output (metrics/robustness) is listed in the run-cache by its .dir object
    only, and restoring it needs the files too."""
    members = set()
    for h in hashes:
        if h.endswith(".dir") and local.exists(h):
            entries = json.loads(Path(local.oid_to_path(h)).read_text())
            members.update(str(entry["md5"]) for entry in entries)
    return hashes | members


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("direction", choices=("push", "pull"))
    parser.add_argument("-r", "--remote", help="a DVC remote (default: the default remote)")
    args = parser.parse_args()

    from dvc.repo import Repo
    from dvc_data.hashfile.hash_info import HashInfo

    repo = Repo()
    local = repo.cache.local
    hashes = run_cache_output_hashes(Path(repo.cache.local_cache_dir) / "runs")
    if args.direction == "push":
        # Only what this cache holds.
        objs = {HashInfo("md5", h) for h in with_directory_members(hashes, local) if local.exists(h)}
        result = repo.cloud.push(objs, remote=args.remote)
        moved = len(result.transferred)
    else:
        # Two rounds: a directory's listing first, then the files it names.
        result = repo.cloud.pull(
            {HashInfo("md5", h) for h in hashes if not local.exists(h)}, remote=args.remote
        )
        moved = len(result.transferred)
        members = with_directory_members(hashes, local) - hashes
        result = repo.cloud.pull(
            {HashInfo("md5", h) for h in members if not local.exists(h)}, remote=args.remote
        )
        moved += len(result.transferred)
    print(f"run-cache outputs: {moved} object(s) {'pushed' if args.direction == 'push' else 'pulled'}")
    if result.failed and args.direction == "push":
        print(f"run-cache outputs: {len(result.failed)} object(s) failed to push", file=sys.stderr)
        return 1
    return 0  # a pull may miss objects a remote never had: those runs are simply not restorable


if __name__ == "__main__":
    sys.exit(main())
