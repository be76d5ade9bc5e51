"""How a stage script starts: read its validated params, run, turn user errors into one line."""

from __future__ import annotations

import sys
from collections.abc import Callable

from mnist_dvc import PipelineError


def run_stage(name: str, main: Callable[[], None]) -> None:
    """Run ``main``; a :class:`PipelineError` becomes ``<stage>: error: ...`` on stderr and exit 1."""
    try:
        main()
    except PipelineError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        sys.exit(1)
