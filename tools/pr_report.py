"""`make report`: the pull-request report a CI bot would post, made offline from the local repository.

    python -m tools.pr_report --base main --out report.md

Collects `dvc metrics diff <base> --md`, `dvc params diff <base> --md`, the pictures under metrics/ that
differ from <base> (embedded by path) and `dvc dag --md` into one Markdown file. Run it from the project
root with the workspace's outputs in place (after `dvc repro` or `dvc pull`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from mnist_dvc.fileio import write_text


def _run(*args: str) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"make report: `{' '.join(args)}` failed: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout.strip()


def _table_or(markdown: str, empty: str) -> str:
    """dvc prints a header without rows when nothing changed."""
    return markdown if len(markdown.splitlines()) > 2 else empty


def build(base: str) -> str:
    metrics = _run("dvc", "metrics", "diff", base, "--md")
    params = _run("dvc", "params", "diff", base, "--md")
    changed = _run("git", "diff", "--name-only", base, "--", "metrics")
    untracked = _run("git", "ls-files", "--others", "--exclude-standard", "--", "metrics")
    pictures = sorted({p for p in (changed + "\n" + untracked).split() if p.endswith(".png")})
    parts = [
        f"# Changes against `{base}`",
        "",
        "## Metrics",
        "",
        _table_or(metrics, "No metric changed."),
        "",
        "## Params",
        "",
        _table_or(params, "No param changed."),
        "",
        "## Pictures that changed",
        "",
    ]
    parts += [f"![{p}]({p})" for p in pictures] or ["No picture changed."]
    parts += ["", "## Pipeline", "", _run("dvc", "dag", "--md"), ""]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the revision to compare with (default: %(default)s)")
    parser.add_argument("--out", default="report.md", help="where to write it (default: %(default)s)")
    args = parser.parse_args()
    write_text(args.out, build(args.base))
    print(f"make report: wrote {args.out} (against {args.base})")


if __name__ == "__main__":
    main()
