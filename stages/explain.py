"""Stage explain: what each model of the registry learned and where it looks -> metrics/explain/*.png and
metrics/explain.md. Each model is explained through its first seed's file (one trained network)."""

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import load_prepared, stratified_subset
from mnist_dvc.evaluation import metrics
from mnist_dvc.evaluation.explain import (
    SCHEMA,
    attribution,
    embedding,
    feature_maps,
    first_layer,
    is_convolutional,
    last_hidden,
    log_proba,
    strongest_units,
)
from mnist_dvc.evaluation.explain_pictures import (
    HOW,
    attribution_figure,
    embedding_figure,
    feature_maps_figure,
    weight_tiles,
)
from mnist_dvc.fileio import write_text
from mnist_dvc.models import registry
from mnist_dvc.models.model_file import read_model_file
from mnist_dvc.params import ParamsError
from mnist_dvc.paths import METRICS_DIR, PREPARED_DIR
from mnist_dvc.pictures import save_png
from mnist_dvc.stage_runner import run_stage

OUT_DIR = METRICS_DIR / "explain"
PAGE = METRICS_DIR / "explain.md"
UNITS, MAPS_PER_BLOCK = 64, 8


def main() -> None:
    p = SCHEMA.load()
    examples = metrics.SCHEMA.load().example_indices  # evaluate's group
    data = load_prepared(PREPARED_DIR, ("test",))
    images, labels, pixels = data.images["test"], data.labels["test"], data.unit_images("test")
    for key, indices in (("explain.feature_map_indices", p.feature_map_indices),
                         ("evaluate.example_indices", examples)):  # fmt: skip
        if max(indices) >= len(labels):
            raise ParamsError(f"params.yaml: {key} {indices} go past the {len(labels)} test images")
    if p.perplexity >= min(p.embedding_images, len(labels)):  # prepare.limit left fewer test images
        raise ParamsError(
            f"params.yaml: explain.perplexity = {p.perplexity:g} is invalid: expected a number below the "
            f"{len(labels)} test images that prepare.limit keeps"
        )
    entries, seeds = registry.read()
    models = {name: read_model_file(e.file(seeds[0])) for name, e in entries.items()}

    import torch

    torch.set_num_threads(p.num_threads)
    lines = ["# What the models learned, and where they look", "",
             f"Written by the `explain` stage from each model's seed-{seeds[0]} file; `dvc plots diff` "
             "compares these pictures between revisions.", ""]  # fmt: skip
    with threadpool_limits(p.num_threads):
        for name, m in models.items():
            weights = first_layer(m)
            if is_convolutional(weights):
                save_png(OUT_DIR / f"filters_{name}.png", weight_tiles(
                    weights, 8, f"{name}: the {len(weights)} filters of its first layer ({weights.shape[1]}x"
                    f"{weights.shape[2]}), red positive, blue negative"))  # fmt: skip
                chosen = np.asarray(p.feature_map_indices)
                maps = feature_maps(m, images[chosen])
                per_digit = [[block[d] for block in maps] for d in range(len(chosen))]
                titles = [f"test #{i} ({labels[i]})" for i in chosen]
                save_png(OUT_DIR / f"feature_maps_{name}.png",
                         feature_maps_figure(pixels[chosen], per_digit, titles, MAPS_PER_BLOCK))  # fmt: skip
                lines += [f"## {name}: its first filters and its feature maps", "",
                          f"![filters](explain/filters_{name}.png)", "",
                          "Each filter of the first layer, as it is slid over the image: edge and stroke "
                          "detectors at several angles.", "",
                          f"![feature maps](explain/feature_maps_{name}.png)", "",
                          "What each block passes on for an easy and a hard digit (the first "
                          f"{MAPS_PER_BLOCK} channels): strokes first, then parts of digits at lower "
                          "resolution.", ""]  # fmt: skip
            else:
                save_png(OUT_DIR / f"first_layer_{name}.png", weight_tiles(
                    strongest_units(weights, UNITS), 8,
                    f"{name}: the {min(UNITS, len(weights))} first-layer units of largest weight norm, "
                    "as 28x28 images (red: ink here excites the unit)"))  # fmt: skip
                lines += [f"## {name}: its first layer", "",
                          f"![first layer](explain/first_layer_{name}.png)", "",
                          "Each tile is one hidden unit's 784 input weights: the pattern of ink that "
                          "excites it (red) or inhibits it (blue).", ""]  # fmt: skip

        chosen = np.asarray(examples)
        answers, maps, how = {}, {}, {}
        for name, m in models.items():
            predicted = log_proba(m, images[chosen]).argmax(1)
            answers[name] = [str(a) for a in predicted]
            maps[name] = attribution(m, images[chosen], predicted)
            how[name] = HOW[m.kind]
        save_png(OUT_DIR / "attribution.png", attribution_figure(pixels[chosen], maps, answers, how))

        subset = stratified_subset(labels, p.embedding_images, p.seed)
        coords, wrong = {}, {}
        for name, m in models.items():
            x = images[subset]
            coords[name] = embedding(last_hidden(m, x), p.seed, p.perplexity)
            wrong[name] = log_proba(m, x).argmax(1) != labels[subset]
        save_png(OUT_DIR / "embedding.png", embedding_figure(coords, labels[subset], wrong))
    lines += ["## Where each model looks", "", "![attribution](explain/attribution.png)", "",
              "For evaluate's example digits, how much each pixel moves the model's answer against a blank "
              "page: the torch models by integrated gradients (Captum), the NumPy MLP by gradient x input "
              "from its own back-propagation. Red pixels speak for the answer, blue against it.", "",
              "## What the last hidden layer sees", "", "![embedding](explain/embedding.png)", "",
              f"A t-SNE map of each model's last hidden layer on {len(subset)} test images (stratified): "
              "digits the model separates form islands; its errors (x) sit between them.", ""]  # fmt: skip
    write_text(PAGE, "\n".join(lines))
    print(f"explain: {len(models)} models -> {OUT_DIR}/, {PAGE}")


if __name__ == "__main__":
    run_stage("explain", main)
