"""Stage evaluate: every model of the registry (each the committee of its seeds), and their ensemble, on
the 10,000 official test images -> metrics/ (numbers, tables, pictures and report.md, all tracked in git).
With several seeds, each seed's accuracy and their mean and standard deviation are reported too."""

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.evaluation.metrics import (
    SCHEMA,
    calibration_metrics,
    confusion,
    most_confident_errors,
    per_class_rows,
    report_markdown,
    score,
)
from mnist_dvc.fileio import write_csv, write_json, write_text
from mnist_dvc.models.calibration import reliability_rows, risk_coverage_rows
from mnist_dvc.models.trained_models import (
    ENSEMBLE,
    check_normalization,
    committee_log_proba,
    ensemble_log_proba,
    load_pipeline_models,
    probabilities,
)
from mnist_dvc.params import ParamsError
from mnist_dvc.paths import METRICS_DIR, PREPARED_DIR
from mnist_dvc.pictures import (
    confusion_figure,
    digit_grid,
    probability_rows,
    reliability_figure,
    risk_coverage_figure,
    save_png,
)
from mnist_dvc.stage_runner import run_stage
from mnist_dvc.timing import read_timing

ERRORS_SHOWN = 25


def main() -> None:
    p = SCHEMA.load()
    data = load_prepared(PREPARED_DIR, ("test",))
    images, labels = data.images["test"], data.labels["test"]
    too_large = [i for i in p.example_indices if i >= len(labels)]
    if too_large:
        raise ParamsError(
            f"params.yaml: evaluate.example_indices {too_large} are past the {len(labels)} test images"
        )
    # Load (and so validate) every model before writing anything.
    models = load_pipeline_models()
    for model in models.values():
        check_normalization(model, data.normalization)
    timings = {name: committee_timing(name, c.seeds) for name, c in models.items()}

    import torch

    torch.set_num_threads(p.num_threads)
    with threadpool_limits(p.num_threads):
        # Each seed's raw (temperature 1) and calibrated log-probabilities.
        raw_seeds = {name: m.member_log_probas(images, calibrated=False) for name, m in models.items()}
    calibrated_seeds = {
        name: [member.calibrate(lp) for member, lp in zip(models[name].members, lps, strict=True)]
        for name, lps in raw_seeds.items()
    }
    # What predict and the app show: each committee's mean of its seeds' calibrated probabilities, and the
    # ensemble of those. ``raw`` keeps temperature 1, for the before/after of calibration.
    raw = {name: committee_log_proba(lps) for name, lps in raw_seeds.items()}
    log_probs = {name: committee_log_proba(lps) for name, lps in calibrated_seeds.items()}
    raw[ENSEMBLE] = ensemble_log_proba(list(raw.values()))
    log_probs[ENSEMBLE] = ensemble_log_proba(list(log_probs.values()))
    timings[ENSEMBLE] = {
        "train_seconds": round(sum(t["train_seconds"] for t in timings.values()), 3),
        "inference_images_per_s": round(1 / sum(1 / t["inference_images_per_s"] for t in timings.values())),
    }
    counts = {name: model.param_count for name, model in models.items()}
    counts[ENSEMBLE] = sum(counts.values())

    pixels = data.unit_images("test")  # for the pictures
    metrics = {}
    for name, lp in log_probs.items():
        temperature = {"temperature": models[name].temperature} if name in models else {}
        seeds = seed_metrics(labels, calibrated_seeds[name], models[name].seeds) if name in models else {}
        # Trainer-measured timing (validation images): a diff shows only for retrained models.
        metrics[name] = {
            **score(labels, lp), **calibration_metrics(labels, raw[name], lp), **temperature,
            "parameters": counts[name], **timings[name], **seeds,
        }  # fmt: skip
        write_outputs(name, labels, lp, pixels, metrics[name], p.example_indices)
        print(
            f"evaluate: {name}: accuracy {metrics[name]['accuracy']:.4f}, {metrics[name]['errors']} errors, "
            f"ECE {metrics[name]['ece_uncalibrated']:.4f} -> {metrics[name]['ece']:.4f}"
        )
    write_calibration(labels, raw, log_probs)
    write_json(METRICS_DIR / "evaluation.json", metrics)
    write_text(
        METRICS_DIR / "report.md",
        report_markdown(
            metrics,
            {
                "The data": ["data/samples.png"],
                "Fixed examples: each model's ten probabilities": [f"examples/{n}.png" for n in metrics],
                "The most confident errors": [f"errors/{n}.png" for n in metrics],
                "Confusion matrices": [f"confusion/{n}.png" for n in metrics],
                "Calibration: reliability and risk-coverage": [
                    "calibration/reliability.png",
                    "calibration/risk_coverage.png",
                ],
            },
        ),
    )


def committee_timing(name: str, seeds: list[int]) -> dict:
    """Training time of all seeds together, and the committee's inference speed (every seed runs)."""
    each = [read_timing(name, seed) for seed in seeds]
    return {
        "train_seconds": round(sum(t["train_seconds"] for t in each), 3),
        "inference_images_per_s": round(1 / sum(1 / t["inference_images_per_s"] for t in each)),
    }


def seed_metrics(labels, log_probs: list, seeds: list[int]) -> dict:
    """Each seed's test accuracy, and their mean and standard deviation (population, over the seeds)."""
    accuracy = [float((lp.argmax(axis=1) == labels).mean()) for lp in log_probs]
    return {
        "seeds": {str(seed): {"accuracy": a} for seed, a in zip(seeds, accuracy, strict=True)},
        "accuracy_mean": float(np.mean(accuracy)),
        "accuracy_std": float(np.std(accuracy)),
    }


def write_calibration(labels, raw: dict, log_probs: dict) -> None:
    """Reliability (before and after temperature scaling) and risk-coverage of every model: one long
    table per curve, so that one DVC plot draws all models."""
    before = {name: reliability_rows(probabilities(lp), labels) for name, lp in raw.items()}
    probs = {name: probabilities(lp) for name, lp in log_probs.items()}
    after = {name: reliability_rows(p, labels) for name, p in probs.items()}
    coverage = {name: risk_coverage_rows(p, labels) for name, p in probs.items()}
    out = METRICS_DIR / "calibration"
    write_csv(out / "reliability.csv", [{"model": n, **r} for n, rows in after.items() for r in rows])
    write_csv(out / "risk_coverage.csv", [{"model": n, **r} for n, rows in coverage.items() for r in rows])
    save_png(out / "reliability.png", reliability_figure(before, after))
    save_png(out / "risk_coverage.png", risk_coverage_figure(coverage))


def write_outputs(name, labels, log_probs, pixels, metrics, example_indices) -> None:
    """Tables and pictures of one model (DVC plots, declared in dvc.yaml)."""
    predicted = log_probs.argmax(axis=1)
    pairs = [{"actual": int(a), "predicted": int(b)} for a, b in zip(labels, predicted, strict=True)]
    write_csv(METRICS_DIR / "confusion" / f"{name}.csv", pairs)
    # The errors alone: in the full matrix the diagonal's thousands hide them.
    wrong = [row for row in pairs if row["actual"] != row["predicted"]]
    write_csv(METRICS_DIR / "misclassified" / f"{name}.csv", wrong or [{"actual": "", "predicted": ""}])
    write_csv(METRICS_DIR / "per_class" / f"{name}.csv", per_class_rows(labels, predicted))
    title = f"{name}: {metrics['accuracy']:.2%} of {len(labels)} test images"
    save_png(METRICS_DIR / "confusion" / f"{name}.png", confusion_figure(confusion(labels, predicted), title))

    probs = probabilities(log_probs)
    worst = most_confident_errors(labels, log_probs, ERRORS_SHOWN)
    save_png(
        METRICS_DIR / "errors" / f"{name}.png",
        digit_grid(
            pixels[worst],
            [f"#{i}: {labels[i]} → {predicted[i]} ({probs[i, predicted[i]]:.0%})" for i in worst],
            ncols=5,
            suptitle=f"{name}: the {len(worst)} most confident of {metrics['errors']} errors "
            "(true → predicted)",
        ),
    )
    save_png(
        METRICS_DIR / "examples" / f"{name}.png",
        probability_rows(
            pixels[example_indices],
            probs[example_indices],
            [f"test #{i}, true {labels[i]}" for i in example_indices],
            suptitle=f"{name}: the same {len(example_indices)} test images for every model",
        ),
    )


if __name__ == "__main__":
    run_stage("evaluate", main)
