"""What `make quick` says when its experiment is done: each model's test accuracy and training time in the
newest experiment, and how to see or keep it.

python -m tools.quick_summary
"""

from __future__ import annotations

import sys

from mnist_dvc.models.registry import models
from mnist_dvc.models.trained_models import ENSEMBLE


def newest_experiment(rows: list[dict]) -> dict | None:
    """The newest experiment's row of ``dvc.api.exp_show()`` (not the workspace, not a commit)."""
    experiments = [r for r in rows if r.get("typ") not in ("baseline", "workspace") and r.get("Created")]
    return max(experiments, key=lambda r: r["Created"], default=None)


def test_accuracies(row: dict, names: list[str]) -> dict[str, float]:
    """Each model's (``names``) and the ensemble's test accuracy in an experiment's row, where it has one."""
    found = {name: row.get(f"{name}.accuracy") for name in [*names, ENSEMBLE]}
    return {name: accuracy for name, accuracy in found.items() if isinstance(accuracy, float)}


def summary(row: dict, names: list[str]) -> str:
    lines = [f"make quick: experiment {row['Experiment'] or row['rev']}, on the 10,000 test images:"]
    for name, accuracy in test_accuracies(row, names).items():
        seconds = row.get(f"{name}.train_seconds")
        trained = f", {seconds:.0f} s of training" if isinstance(seconds, float | int) else ""
        lines.append(f"  {name:<10} {accuracy:.2%}{trained}")
    lines.append(
        f"See it beside the workspace with `dvc exp show`; keep it with `dvc exp apply {row['Experiment']}`."
    )
    return "\n".join(lines)


def main() -> int:
    import dvc.api

    row = newest_experiment(dvc.api.exp_show())
    if row is None:
        print("make quick: no experiment found (dvc exp show lists none)", file=sys.stderr)
        return 1
    print(summary(row, list(models())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
