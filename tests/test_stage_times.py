"""bench.stage_times: each stage's time read from DVC's own "Running stage" lines."""

from __future__ import annotations

from bench.stage_times import STARTED, by_step, stage_seconds


def test_each_stage_runs_until_the_next_starts_and_matrix_instances_add_up():
    output = [
        "Running stage 'prepare':",
        "> python -m stages.prepare",
        "Running stage 'train_cnn@42':",
        "train_cnn: 100%|##########| 14/14 [03:10<00:00]",
        "Running stage 'train_cnn@7':",
        "Updating lock file 'dvc.lock'",
        "Running stage 'evaluate':",
    ]
    clock = iter([10.0, 16.5, 200.0, 390.0])
    starts = [(m.group(1), next(clock)) for line in output if (m := STARTED.match(line))]
    seconds = stage_seconds(starts, end=402.25)
    assert seconds == {"prepare": 6.5, "train_cnn@42": 183.5, "train_cnn@7": 190.0, "evaluate": 12.2}
    assert by_step(seconds) == {"prepare": 6.5, "train_cnn": 373.5, "evaluate": 12.2}
