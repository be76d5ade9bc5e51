"""How a stage script starts: read its validated params, run, turn user errors into one line.

Import this module first in a stage script: from then on Ctrl-C prints one line instead of a traceback,
also while the heavy imports (torch, scikit-learn) are still loading.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

from mnist_dvc import PipelineError

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, what a shell reports for a process ended by Ctrl-C


def interrupted_message(name: str) -> str:
    """What Ctrl-C prints, for the stages and the `mnist-dvc` command alike."""
    return f"{name}: interrupted; nothing was written"


def _quiet_exit_during_imports(signum, frame) -> None:
    # Before run_stage starts, no output can have been opened: leave at once, without a traceback.
    stage = getattr(getattr(sys.modules["__main__"], "__spec__", None), "name", "stage").split(".")[-1]
    print(interrupted_message(stage), file=sys.stderr, flush=True)
    os._exit(EXIT_INTERRUPTED)


def _main_is_a_stage() -> bool:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name.startswith("stages.")


# A SIGINT that the parent set to "ignore" (nohup, a background job) stays ignored.
if _main_is_a_stage() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _quiet_exit_during_imports)


def run_stage(name: str, main: Callable[[], None]) -> None:
    """Run ``main``; a :class:`PipelineError` becomes ``<stage>: error: ...`` on stderr and exit 1.

    Ctrl-C becomes one line and exit 130. Every output is written to a temporary file and renamed
    when complete (:mod:`mnist_dvc.fileio`), so an interrupted stage leaves the previous files as they
    were: nothing half-written.
    """
    if signal.getsignal(signal.SIGINT) is _quiet_exit_during_imports:
        # From here on KeyboardInterrupt unwinds normally, so temporary files are removed on the way out.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except PipelineError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(interrupted_message(name), file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
