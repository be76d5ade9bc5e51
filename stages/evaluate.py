"""Stage evaluate: every trained model on the 10,000 official test images -> metrics/ (tracked in git)."""

from pathlib import Path

from threadpoolctl import threadpool_limits

from mnist_dvc.cli import run_stage
from mnist_dvc.dataset import load_prepared
from mnist_dvc.evaluation import (
    check_normalization,
    confusion,
    load_model,
    per_class_rows,
    plot_confusion_png,
    rows_to_csv,
    score,
)
from mnist_dvc.fileio import write_json, write_text
from mnist_dvc.params import load_stage_params

DATA_DIR = Path("data/prepared")
MODELS = {
    "numpy_mlp": Path("data/models/numpy_mlp.npz"),
    "torch_mlp": Path("data/models/torch_mlp.pt"),
    "cnn": Path("data/models/cnn.pt"),
}
METRICS_FILE = Path("metrics/evaluation.json")
CONFUSION_DIR = Path("metrics/confusion")
PER_CLASS_DIR = Path("metrics/per_class")


def main() -> None:
    p = load_stage_params("evaluate")
    data = load_prepared(DATA_DIR, ("test",))
    images, labels = data.images["test"], data.labels["test"]
    # Load (and so validate) every model before writing anything.
    models = {name: load_model(name, path) for name, path in MODELS.items()}
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
                "inference_images_per_s": round(model.meta["inference_images_per_s"]),
                "train_seconds": round(model.meta["train_seconds"], 2),
            }
            pairs = [{"actual": int(a), "predicted": int(b)} for a, b in zip(labels, predicted, strict=True)]
            write_text(CONFUSION_DIR / f"{name}.csv", rows_to_csv(pairs))
            plot_confusion_png(
                CONFUSION_DIR / f"{name}.png",
                confusion(labels, predicted),
                f"{name}: {metrics[name]['accuracy']:.2%} of {len(labels)} test images",
            )
            write_text(PER_CLASS_DIR / f"{name}.csv", rows_to_csv(per_class_rows(labels, predicted)))
            print(
                f"evaluate: {name}: accuracy {metrics[name]['accuracy']:.4f}, "
                f"{metrics[name]['errors']} errors"
            )
    write_json(METRICS_FILE, metrics)


if __name__ == "__main__":
    run_stage("evaluate", main)
