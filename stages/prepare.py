"""Stage prepare: validated IDX -> normalized float32 arrays with a stratified validation split."""

import numpy as np

from mnist_dvc.data.dataset import SCHEMA, class_counts, stratified_split, stratified_subset, write_prepared
from mnist_dvc.data.idx import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, read_pair
from mnist_dvc.data.normalization import FORMULA, fit_normalization
from mnist_dvc.fileio import write_csv
from mnist_dvc.paths import METRICS_DIR, PREPARED_DIR, RAW_DIR
from mnist_dvc.pictures import digit_grid, save_png
from mnist_dvc.stage_runner import run_stage

OUT_DIR = PREPARED_DIR
SAMPLES_PER_DIGIT = 10


def main() -> None:
    p = SCHEMA.load()
    train_x, train_y = read_pair(RAW_DIR / TRAIN_IMAGES, RAW_DIR / TRAIN_LABELS)
    test_x, test_y = read_pair(RAW_DIR / TEST_IMAGES, RAW_DIR / TEST_LABELS)

    fit_idx, val_idx = stratified_split(train_y, p.val_fraction, p.seed)
    raw = {
        "train": (train_x[fit_idx], train_y[fit_idx]),
        "val": (train_x[val_idx], train_y[val_idx]),
        "test": (test_x, test_y),
    }
    raw = {
        split: (x[keep], y[keep])
        for split, (x, y) in raw.items()
        for keep in [stratified_subset(y, p.limit, p.seed)]
    }

    # Constants come from the training split only, so no validation or test pixel leaks into them.
    norm = fit_normalization(p.normalize, raw["train"][0])
    splits = {split: (norm.apply(x)[:, None], y) for split, (x, y) in raw.items()}
    meta = {
        "normalization": norm.as_meta(),
        "formula": FORMULA,
        "sizes": {split: len(y) for split, (_, y) in splits.items()},
        "class_counts": {split: class_counts(y) for split, (_, y) in splits.items()},
        "params": p.values,
    }
    write_prepared(OUT_DIR, splits, meta)
    write_csv(
        METRICS_DIR / "data" / "class_counts.csv",
        [
            {"split_digit": f"{split} {digit}", "split": split, "digit": digit, "count": count}
            for split, counts in meta["class_counts"].items()
            for digit, count in enumerate(counts)
        ],
    )
    fit_x, fit_y = raw["train"]
    # The first training images of each digit: one row per digit.
    picks = np.concatenate([np.flatnonzero(fit_y == d)[:SAMPLES_PER_DIGIT] for d in range(10)])
    save_png(
        METRICS_DIR / "data" / "samples.png",
        digit_grid(
            fit_x[picks] / 255.0,
            [str(int(fit_y[i])) for i in picks],
            ncols=SAMPLES_PER_DIGIT,
            suptitle=f"The first {SAMPLES_PER_DIGIT} training images of each digit",
        ),
    )
    print(
        f"prepare: wrote {meta['sizes']} to {OUT_DIR}/ "
        f"(normalize={norm.method}, mean={norm.mean:.6f}, std={norm.std:.6f})"
    )


if __name__ == "__main__":
    run_stage("prepare", main)
