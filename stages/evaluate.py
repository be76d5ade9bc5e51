"""Stage evaluate: every trained model on the 10,000 official test images -> metrics/ (tracked in git)."""

from threadpoolctl import threadpool_limits

from mnist_dvc.cli import run_stage
from mnist_dvc.dataset import load_prepared
from mnist_dvc.evaluation import (
    check_normalization,
    confusion,
    load_model,
    per_class_rows,
    plot_confusion_png,
    score,
)
from mnist_dvc.fileio import write_csv, write_json
from mnist_dvc.params import load_stage_params
from mnist_dvc.paths import METRICS_DIR, MODEL_FILES, PREPARED_DIR
from mnist_dvc.training import read_timing

METRICS_FILE = METRICS_DIR / "evaluation.json"
CONFUSION_DIR = METRICS_DIR / "confusion"
PER_CLASS_DIR = METRICS_DIR / "per_class"


def main() -> None:
    p = load_stage_params("evaluate")
    data = load_prepared(PREPARED_DIR, ("test",))
    images, labels = data.images["test"], data.labels["test"]
    # Load (and so validate) every model before writing anything.
    models = {name: load_model(name, path) for name, path in MODEL_FILES.items()}
    timings = {name: read_timing(name) for name in MODEL_FILES}
    for model in models.values():
        check_normalization(model, data.normalization)

    import torch

    torch.set_num_threads(p.num_threads)
    metrics = {}
    with threadpool_limits(p.num_threads):
        for name, model in models.items():
            log_probs = model.predict_log_proba(images)
            predicted = log_probs.argmax(axis=1)
            metrics[name] = {
                **score(labels, log_probs),
                "parameters": model.param_count,
                # Both measured by the trainer, with its model, on the validation images.
                **timings[name],
            }
            pairs = [{"actual": int(a), "predicted": int(b)} for a, b in zip(labels, predicted, strict=True)]
            write_csv(CONFUSION_DIR / f"{name}.csv", pairs)
            plot_confusion_png(
                CONFUSION_DIR / f"{name}.png",
                confusion(labels, predicted),
                f"{name}: {metrics[name]['accuracy']:.2%} of {len(labels)} test images",
            )
            write_csv(PER_CLASS_DIR / f"{name}.csv", per_class_rows(labels, predicted))
            print(
                f"evaluate: {name}: accuracy {metrics[name]['accuracy']:.4f}, "
                f"{metrics[name]['errors']} errors"
            )
    write_json(METRICS_FILE, metrics)


if __name__ == "__main__":
    run_stage("evaluate", main)
