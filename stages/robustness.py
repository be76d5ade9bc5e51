"""Stage robustness: every model (and the ensemble) on a stratified test subset under each corruption
and severity -> metrics/robustness.json, metrics/robustness/<corruption>.csv, curves.png and
examples.png."""

import time

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import load_prepared, stratified_subset
from mnist_dvc.evaluation.corruptions import CORRUPTIONS
from mnist_dvc.evaluation.robustness import SCHEMA, accuracy_table, curve_rows, summary
from mnist_dvc.fileio import write_csv, write_json
from mnist_dvc.models.photo_effects import SEVERITIES
from mnist_dvc.models.trained_models import check_normalization, load_pipeline_models
from mnist_dvc.paths import METRICS_DIR, PREPARED_DIR
from mnist_dvc.pictures import digit_grid, robustness_figure, save_png
from mnist_dvc.stage_runner import run_stage

OUT_DIR = METRICS_DIR / "robustness"


def main() -> None:
    started = time.perf_counter()
    p = SCHEMA.load()
    data = load_prepared(PREPARED_DIR, ("test",))
    models = load_pipeline_models()
    for model in models.values():
        check_normalization(model, data.normalization)
    chosen = stratified_subset(data.labels["test"], p.images, p.seed)
    images, labels = data.unit_images("test")[chosen], data.labels["test"][chosen]

    import torch

    torch.set_num_threads(p.num_threads)
    with threadpool_limits(p.num_threads):
        table = accuracy_table(models, images, labels, p.corruptions)

    for corruption in p.corruptions:
        write_csv(OUT_DIR / f"{corruption}.csv", curve_rows(table, corruption))
    example = images[:1]  # one digit under every corruption: what "severity 3" means
    tiles = [CORRUPTIONS[c](example, s)[0] for c in p.corruptions for s in range(SEVERITIES + 1)]
    save_png(
        OUT_DIR / "examples.png",
        digit_grid(
            np.stack(tiles),
            [f"{c} {s}" for c in p.corruptions for s in range(SEVERITIES + 1)],
            ncols=SEVERITIES + 1,
            suptitle=f"test #{chosen[0]} under each corruption, severity 0 (clean) to {SEVERITIES}",
        ),
    )
    save_png(OUT_DIR / "curves.png", robustness_figure(table))
    results = summary(table)
    write_json(METRICS_DIR / "robustness.json", results)
    for name, r in results.items():
        print(
            f"robustness: {name}: clean {r['clean_accuracy']:.4f}, "
            f"mean corrupted {r['mean_corrupted_accuracy']:.4f}"
        )
    print(f"robustness: {len(labels)} images, {len(p.corruptions)} corruptions x {SEVERITIES} severities "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    run_stage("robustness", main)
