"""Real-world pictures of handwriting, made from MNIST test digits, and how well the models read them.

`python -m bench.photos` (after `dvc repro`: it needs the models and data/raw). Each set redraws official
**test** digits (never trained on) as pen strokes - the digit's skeleton drawn with a ballpoint, a pencil,
a marker or chalk - on a photographed surface: ruled or squared notebook paper, a board; with uneven light,
a tilt of the phone, sensor noise and JPEG compression. The sets:

* ``clean_ballpoint``: the control: the same ballpoint strokes on plain white paper, evenly lit, no tilt,
  no noise (what the redrawn digits themselves allow);
* ``ruled_ballpoint``: blue ballpoint on ruled paper with a red margin line, noise, JPEG;
* ``squared_pencil``: pencil on squared paper, a shadow across the page, JPEG;
* ``board_chalk``: white chalk (broken strokes) on a dark green board, noise, JPEG;
* ``ruled_marker``: a fat black marker on ruled paper, tilted up to 4 degrees, JPEG;
* ``fat_marker``: a broad marker on plain paper, its pen a sixth to a third of the digit's height, so
  that small loops close up (a "9" with a solid head);
* ``page_corner``: a small ballpoint digit somewhere on a large plain page;
* ``numbers``: two to four digits side by side on ruled paper;
* ``no_digit``: blank pages, ruled and squared pages and boards with nothing written.

The phone-photo scenes of :mod:`bench.scenes` (640x480 or so, JPEG, unless said otherwise):

* ``sheet_on_desk``: a digit on a plain or ruled sheet lying on a desk (wood, laminate, cloth, beige),
  turned, in perspective, sometimes running off the frame, with its shadow;
* ``sticky_note``: a digit on a yellow, pink, blue, green or orange sticky note on a desk;
* ``number_on_desk``: two to four digits on a sheet or a sticky note on a desk;
* ``touching_numbers``: two to four slanted digits written so close their strokes touch or overlap;
* ``whiteboard_ghosts``: one to four digits in marker on a whiteboard with a glare and faint smeared
  ghosts of erased writing;
* ``colour_ink``: red or green marker on white, pencil on recycled grey, ballpoint on yellow or pink;
* ``box_around``: a digit in a hand-drawn box, or underlined;
* ``folded_page``: a digit on a page with a crease across it;
* ``empty_scenes``: no digit: an empty sheet or note on a desk, a desk, a drawn rectangle, a long ruled
  line, a page's or table's edge or corner;
* ``tight_crops``: scikit-learn's bundled 8x8 digits, in order, as 96x96 tight scans (PNG).

Every picture goes through the real input path (:func:`mnist_dvc.reading.digits.read_digits`), files included,
touching digits cut apart by the CNN's reading, as `predict --model cnn` cuts them (every model then reads
the digits so cut).
A picture counts as read when every digit is read and none made up (one with no digit: none found).
Accuracy per model and set, with this revision's input path and with ``--baseline`` (a git revision's
whole ``mnist_dvc/``, run in a subprocess; ``none`` to skip), goes to bench/results/photos.json;
bench/results/photos.png (the sets above) and photos_scenes.png (the scenes) show a few inputs beside
what the models received. ``--sets`` runs some sets only (photos.json then holds those; a figure is
redrawn only when all its sets ran); ``--dump DIR`` only writes the pictures, for a look or another tool.
Picture i of a set is drawn from a generator seeded with (``--seed``, the set, i): the same picture
whichever sets run and however many per set.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import RESULTS_DIR, matmul_gflops, save
from mnist_dvc.data.idx import TEST_IMAGES, TEST_LABELS, read_images, read_labels
from mnist_dvc.data.written import stroke_mask
from mnist_dvc.models.trained_models import ENSEMBLE, each_model_log_proba, judge_of, load_pipeline_models
from mnist_dvc.paths import RAW_DIR, READER_FILE
from mnist_dvc.pictures import _pyplot, save_png
from mnist_dvc.reading.digits import read_digits
from mnist_dvc.reading.number_reader import load_reader, overruled, read_rows

BASELINE = "e551c4f"  # main before the scenes of bench/scenes.py
SETS = (
    "clean_ballpoint", "ruled_ballpoint", "squared_pencil", "board_chalk", "ruled_marker", "fat_marker",
    "page_corner",
)  # fmt: skip
BLUE_INK, PENCIL, BLACK, CHALK = (25, 45, 140), (70, 70, 78), (15, 15, 20), (235, 235, 225)
PAPER, BOARD = (245, 243, 236), (38, 70, 52)
RULE_BLUE, GRID_GRAY, MARGIN_RED = (150, 185, 225), (165, 175, 185), (220, 90, 90)


def _smooth_noise(shape, scale, rng: np.random.Generator, mode: str = "nearest") -> np.ndarray:
    """Gaussian noise blurred by ``scale`` (a sigma, or one per axis), to zero mean and unit spread."""
    from skimage.filters import gaussian

    field = gaussian(rng.standard_normal(shape), sigma=scale, mode=mode)
    return (field - field.mean()) / (field.std() + 1e-9)


def _paper(shape, kind: str, spacing: int, rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    base = BOARD if kind == "board" else PAPER
    canvas = np.empty((h, w, 3), np.float32)
    canvas[:] = base
    if kind in ("ruled", "squared"):
        offset = rng.integers(0, spacing)
        colour = RULE_BLUE if kind == "ruled" else GRID_GRAY
        width = int(rng.integers(1, 3))
        for y in range(offset, h, spacing):
            canvas[y : y + width] = colour
        if kind == "squared":
            for x in range(rng.integers(0, spacing), w, spacing):
                canvas[:, x : x + width] = colour
        elif rng.random() < 0.7:
            x = int(w * rng.uniform(0.05, 0.15))
            canvas[:, x : x + 2] = MARGIN_RED
    if kind == "board":  # chalk dust and wiping marks
        canvas += 10 * _smooth_noise((h, w), 20, rng)[..., None]
    return canvas


def _light(canvas: np.ndarray, rng: np.random.Generator, depth: float) -> np.ndarray:
    """Uneven light: a linear fall-off in a random direction and a soft shadow."""
    h, w = canvas.shape[:2]
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w]
    ramp = (np.cos(angle) * xs / w + np.sin(angle) * ys / h) + 1
    ramp = 1 - depth * ramp / ramp.max()
    cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.2, 0.5) * max(h, w)
    shadow = 1 - 0.5 * depth * np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * r**2))
    return canvas * (ramp * shadow)[..., None]


def compose(digits: list[np.ndarray], kind: str, rng: np.random.Generator) -> Image.Image:
    """One photo of ``digits`` (MNIST uint8 28x28 each) written side by side, in the style of ``kind``."""
    from skimage.transform import rotate

    small = kind == "page_corner"
    h, w = (1400, 1000) if small else (int(rng.integers(360, 720)), int(rng.integers(480, 900)))
    height = int(rng.uniform(0.04, 0.07) * h) if small else int(rng.uniform(0.3, 0.55) * h)
    surface = {
        "clean_ballpoint": "plain", "ruled_ballpoint": "ruled", "squared_pencil": "squared",
        "board_chalk": "board", "ruled_marker": "ruled", "fat_marker": "plain", "page_corner": "plain",
        "numbers": "ruled",
    }[kind]  # fmt: skip
    colour, alpha, pen = {
        "clean_ballpoint": (BLUE_INK, 0.9, rng.uniform(0.012, 0.03) * height),
        "ruled_ballpoint": (BLUE_INK, 0.9, rng.uniform(0.012, 0.03) * height),
        "squared_pencil": (PENCIL, rng.uniform(0.55, 0.8), rng.uniform(0.02, 0.04) * height),
        "board_chalk": (CHALK, 0.9, rng.uniform(0.05, 0.09) * height),
        "ruled_marker": (BLACK, 0.95, rng.uniform(0.08, 0.14) * height),
        "fat_marker": (BLACK, 0.95, rng.uniform(0.16, 0.33) * height),
        "page_corner": (BLUE_INK, 0.9, rng.uniform(0.03, 0.06) * height),
        "numbers": (BLUE_INK, 0.9, rng.uniform(0.015, 0.04) * height),
    }[kind]
    pen = max(1.0, pen)
    spacing = max(8, int(height * rng.uniform(0.45, 0.7)))
    canvas = _paper((h, w), surface, spacing, rng)
    masks = [stroke_mask(d, int(height * rng.uniform(0.9, 1.1)), pen) for d in digits]
    gaps = [int(rng.uniform(0.25, 0.6) * height) for _ in masks]
    total = sum(m.shape[1] for m in masks) + sum(gaps[1:])
    if total > 0.9 * w:  # a wider photo, so the whole number is on it
        w = int(total / 0.8)
        canvas = _paper((h, w), surface, spacing, rng)
    ink = np.zeros((h, w), np.float32)
    x = int(rng.integers(int(0.05 * w), max(int(0.05 * w) + 1, w - total - int(0.05 * w))))
    top = int(rng.integers(int(0.05 * h), max(int(0.05 * h) + 1, h - height - int(0.1 * h))))
    for mask, gap in zip(masks, gaps, strict=True):
        mh, mw = mask.shape
        y = top + int(rng.integers(-height // 12, height // 12 + 1))
        y, xx = min(max(y, 0), h - mh), min(x, w - mw)
        ink[y : y + mh, xx : xx + mw] = np.maximum(ink[y : y + mh, xx : xx + mw], mask)
        x += mw + gap
    if kind == "board_chalk":  # chalk skips on the board's grain
        ink *= (_smooth_noise((h, w), 1.2, rng) > -0.6) * rng.uniform(0.7, 1.0)
    elif kind == "squared_pencil":  # graphite grain
        ink *= np.clip(0.85 + 0.25 * _smooth_noise((h, w), 1.0, rng), 0, 1)
    a = (alpha * ink)[..., None]
    canvas = canvas * (1 - a) + np.asarray(colour, np.float32) * a
    if kind == "clean_ballpoint":
        return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    canvas = _light(canvas, rng, rng.uniform(0.15, 0.45))
    if kind == "ruled_marker" or rng.random() < 0.5:  # the phone held at a slight angle
        canvas = rotate(canvas, rng.uniform(-4, 4), mode="edge", preserve_range=True)
    canvas += rng.normal(0, rng.uniform(3, 8), canvas.shape)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def no_digit_picture(i: int, rng: np.random.Generator) -> Image.Image:
    kind = ("plain", "ruled", "squared", "board")[i % 4]
    h, w = int(rng.integers(360, 720)), int(rng.integers(480, 900))
    canvas = _light(_paper((h, w), kind, int(rng.integers(20, 45)), rng), rng, rng.uniform(0.15, 0.45))
    canvas += rng.normal(0, rng.uniform(3, 8), canvas.shape)
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


# The sets whose every picture is a number of 2-4 digits: read as `predict --number` reads them, as the
# person who wrote the number would run it.
NUMBER_SETS = ("numbers", "number_on_desk", "touching_numbers")

BASELINE_READER = """
import sys
from pathlib import Path

import numpy as np

root, listing, out = sys.argv[1:4]
sys.path.insert(0, root)
from importlib import import_module

# Revisions before the sub-packages kept the input path in mnist_dvc/digits.py.
nested = (Path(root) / "mnist_dvc/reading/digits.py").is_file()
digits = import_module("mnist_dvc.reading.digits" if nested else "mnist_dvc.digits")

assert digits.__file__.startswith(root), f"the baseline imported {digits.__file__}, not {root}"
arrays = {}
for name in Path(listing).read_text().splitlines():
    try:
        found = digits.read_digits(Path(name)).images
    except Exception as exc:  # a revision that refuses a picture read no digit in it
        print(f"{name}: {exc}", file=sys.stderr)
        found = np.zeros((0, 28, 28))
    arrays[Path(name).name] = np.asarray(found, np.float32).reshape(-1, 28, 28)
np.savez(out, **arrays)
"""


def baseline_read(rev: str, paths: list[Path]) -> dict[str, np.ndarray]:
    """What git revision ``rev``'s whole input path (its ``mnist_dvc/``, extracted with ``git archive``)
    gives the models for each picture: one subprocess of this python reads every file; by file name."""
    import shlex

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(f"git archive {shlex.quote(rev)} mnist_dvc | tar -x -C {shlex.quote(tmp)}",
                       shell=True, check=True)  # fmt: skip
        listing, out = Path(tmp) / "pictures.txt", Path(tmp) / "digits.npz"
        listing.write_text("".join(f"{p.resolve()}\n" for p in paths))
        subprocess.run([sys.executable, "-c", BASELINE_READER, tmp, str(listing), str(out)], check=True)
        with np.load(out) as arrays:
            return {name: arrays[name] for name in arrays.files}


def answers(models, images: np.ndarray, read: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each model's digit for each image; the number reader's where it ``read`` one (as predict)."""
    if len(images) == 0:
        return {name: np.zeros(0, int) for name in [*models, ENSEMBLE]}
    return {
        name: overruled(np.exp(lp), read).argmax(1)
        for name, lp in each_model_log_proba(models, images).items()
    }


def make_picture(kind: str, i: int, seed: int, mnist) -> tuple[Image.Image, str, int]:
    """Picture ``i`` of set ``kind``, its truth and its JPEG quality: drawn from a generator seeded by
    (seed, set, i), so a picture is the same whichever sets run and however many pictures each has."""
    from bench.scenes import SCENES

    rng = np.random.default_rng([seed, zlib.crc32(kind.encode()), i])
    if kind in SCENES:
        picture, truth = SCENES[kind](rng, mnist, i)
    elif kind == "no_digit":
        picture, truth = no_digit_picture(i, rng), ""
    else:
        images, labels = mnist
        picks = rng.integers(0, len(images), size=int(rng.integers(2, 5)) if kind == "numbers" else 1)
        picture, truth = (
            compose([images[j] for j in picks], kind, rng),
            "".join(str(labels[j]) for j in picks),
        )
    return picture, truth, int(rng.integers(70, 90))  # JPEG: a phone's compression


def make_pictures(sets, per_set: int, seed: int, directory: Path) -> dict[str, list[tuple[Path, str]]]:
    """Every set's pictures saved under ``directory`` as <set>_<i>_truth-<t>.<png|jpg> (t "none" for no
    digit); each set's (path, truth) pairs."""
    from bench.scenes import PNG_SCENES

    mnist = (read_images(RAW_DIR / TEST_IMAGES), read_labels(RAW_DIR / TEST_LABELS))
    directory.mkdir(parents=True, exist_ok=True)
    made = {}
    for kind in sets:
        made[kind] = []
        for i in range(per_set):
            picture, truth, quality = make_picture(kind, i, seed, mnist)
            ext = "png" if kind in ("clean_ballpoint", *PNG_SCENES) else "jpg"
            path = directory / f"{kind}_{i}_truth-{truth or 'none'}.{ext}"
            picture.save(path, quality=quality)
            made[kind].append((path, truth))
    return made


def all_sets() -> tuple[str, ...]:
    from bench.scenes import SCENES

    return (*SETS, "numbers", "no_digit", *SCENES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-set", type=int, default=100, help="pictures per set (default: %(default)s)")
    parser.add_argument("--sets", help="comma-separated sets to run (default: all): " + ", ".join(all_sets()))
    parser.add_argument(
        "--baseline", default=BASELINE,
        help="git revision whose mnist_dvc/ input path to compare with, or 'none' (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--failures", type=Path, metavar="DIR",
        help="copy every picture the CNN misreads into DIR, named <set>_<i>_truth-<t>_read-<r>",
    )  # fmt: skip
    parser.add_argument(
        "--dump", type=Path, metavar="DIR",
        help="only write the pictures to DIR as <set>_<i>_truth-<t>.<ext> (no models needed) and stop",
    )  # fmt: skip
    args = parser.parse_args()
    sets = args.sets.split(",") if args.sets else list(all_sets())
    if unknown := sorted(set(sets) - set(all_sets())):
        parser.error(f"unknown sets {unknown}; known: {', '.join(all_sets())}")
    if args.dump:
        made = make_pictures(sets, args.per_set, args.seed, args.dump)
        print(f"{sum(map(len, made.values()))} pictures in {args.dump}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, sets, make_pictures(sets, args.per_set, args.seed, Path(tmp)))


def run(args, sets: list[str], made: dict[str, list[tuple[Path, str]]]) -> None:
    """Read every picture with this revision's path and the baseline's, score the models, save."""
    models = load_pipeline_models()
    judge = judge_of({"cnn": models["cnn"]})  # as `predict --model cnn` cuts touching digits apart
    reader = load_reader(READER_FILE)  # ...and reads what holds several digits, where it was trained
    paths = [path for pairs in made.values() for path, _ in pairs]
    baseline = None if args.baseline == "none" else baseline_read(args.baseline, paths)
    results = {"sgemm_gflops_2_threads": round(matmul_gflops(), 1), "per_set": args.per_set,
               "seed": args.seed, "baseline": args.baseline, "sets": {}}  # fmt: skip
    shown = []
    for kind in sets:
        truth, digits, seconds = [t for _, t in made[kind]], [], []
        for path, _ in made[kind]:
            start = time.perf_counter()
            digits.append(read_digits(path, judge=judge, reader=reader, number=kind in NUMBER_SETS))
            seconds.append(time.perf_counter() - start)
        after = [d.images for d in digits]
        found, reads = {"after": after}, {"after": [d.read for d in digits]}
        if baseline is not None:
            found["before"] = [baseline[path.name] for path, _ in made[kind]]
        results["sets"][kind], read = score(models, truth, found, reads)
        if args.failures:
            keep_failures(args.failures, kind, made[kind], read["cnn"])
        results["sets"][kind]["preprocess_ms_median"] = round(1000 * float(np.median(seconds)), 1)
        print(kind, results["sets"][kind], flush=True)
        for i in range(min(len(truth), 2 if kind in (*SETS, "numbers", "no_digit") else 1)):
            shown.append((kind, made[kind][i][0], after[i], found["before"][i] if baseline else None))
    for name, group in (
        ("photos", (*SETS, "numbers", "no_digit")),
        ("photos_scenes", all_sets()[len(SETS) + 2 :]),
    ):
        if set(group) <= set(sets):  # a figure is redrawn only when all its sets ran
            figure([row for row in shown if row[0] in group], RESULTS_DIR / f"{name}.png")
    save("photos", results)


def score(
    models, truth: list[str], found: dict[str, list[np.ndarray]], reads: dict[str, list] | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Share of pictures read exactly (every digit, none made up; for a picture with no digit: none
    read), per model, for each reading in ``found`` (now and before), with what the number reader read
    (``reads``, per picture: None or NaN rows where the models read); and what each model read now."""
    empty = np.zeros((0, 28, 28), np.float32)
    out, read = {}, {}
    for when, images in found.items():
        by_reader = (reads or {}).get(when) or [None] * len(images)
        rows = [read_rows(len(f), r) for f, r in zip(images, by_reader, strict=True)]
        labels = answers(models, np.concatenate([*images, empty]).astype(np.float32),
                         np.concatenate([*rows, np.zeros((0, 10))]))  # fmt: skip
        ends = np.cumsum([len(f) for f in images])
        read[when] = {
            name: ["".join(map(str, p[end - len(f) : end])) for f, end in zip(images, ends, strict=True)]
            for name, p in labels.items()
        }
        out[when] = {
            name: round(float(np.mean([r == t for r, t in zip(reads, truth, strict=True)])), 3)
            for name, reads in read[when].items()
        }
    return out, read["after"]


def keep_failures(directory: Path, kind: str, made: list[tuple[Path, str]], read: list[str]) -> None:
    """Copy the pictures of ``kind`` whose reading differs from the truth, for a look."""
    import shutil

    directory.mkdir(parents=True, exist_ok=True)
    for i, ((source, t), r) in enumerate(zip(made, read, strict=True)):
        if t != r:
            shutil.copy(
                source, directory / f"{kind}_{i}_truth-{t or 'none'}_read-{r or 'none'}{source.suffix}"
            )


def figure(shown: list, path: Path) -> None:
    """Each row: the picture, what the models receive now, and what they received before."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(shown), 3, figsize=(7.5, 1.9 * len(shown)), squeeze=False,
                             gridspec_kw={"width_ratios": [2.2, 2, 2]})  # fmt: skip
    for row, (kind, picture, after, before) in zip(axes, shown, strict=True):
        for ax in row:
            ax.axis("off")
        with Image.open(picture) as image:
            row[0].imshow(np.asarray(image.convert("RGB")))
        row[0].set_title(f"{kind}: the photo", fontsize=8)
        strip = np.concatenate(list(after), axis=1) if len(after) else np.zeros((28, 28))
        row[1].imshow(strip, cmap="gray", vmin=0, vmax=1)
        row[1].set_title("received now" + ("" if len(after) else ": no digit found"), fontsize=8)
        if before is not None:
            strip = np.concatenate(list(before), axis=1) if len(before) else np.zeros((28, 28))
            row[2].imshow(strip, cmap="gray", vmin=0, vmax=1)
            row[2].set_title("received before" + ("" if len(before) else ": no digit found"), fontsize=8)
    fig.tight_layout()
    save_png(path, fig)


if __name__ == "__main__":
    sys.exit(main())
