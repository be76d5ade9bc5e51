"""`mnist-dvc app`: a local web page where you draw a digit or drop a picture and every model answers.

Built with gradio. A drawing is just another picture: it goes through the same preprocessing as
`mnist-dvc predict` (:mod:`mnist_dvc.digits`) and the same model loading (:mod:`mnist_dvc.models`).
Binds 127.0.0.1 unless told otherwise; no share link, no analytics, nothing fetched from the internet.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_dvc import PipelineError
from mnist_dvc.digits import (
    IMAGE_SUFFIXES,
    MAX_PIXELS,
    InputError,
    mnist_style,
    picture_to_gray,
    read_digits,
)
from mnist_dvc.models import (
    LoadedModel,
    each_model_log_proba,
    load_model,
    load_pipeline_models,
    probabilities,
)
from mnist_dvc.paths import MODEL_FILES, project_root

MAX_UPLOAD = "10mb"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EXAMPLES_DIR = Path("docs/digits")  # pictures of test digits: scans (easy and hard) and drawings
DRAW_FIRST = "Draw a digit first (or drop a picture)."


def digit_from_canvas(canvas) -> np.ndarray:
    """A gradio sketchpad value (its ``composite``, RGBA, transparent where nothing was drawn) or an
    image array -> the 28x28 digit the models receive. Raises InputError when there is no ink."""
    from PIL import Image

    array = canvas.get("composite") if isinstance(canvas, dict) else canvas
    if array is None:
        raise InputError(DRAW_FIRST)
    return mnist_style(picture_to_gray(Image.fromarray(np.asarray(array, np.uint8))), "the drawing")


class Answerer:
    """Every model's top classes for one digit, and what it took."""

    def __init__(self, models: dict[str, LoadedModel], ensemble: bool = True):
        self.models, self.ensemble = models, ensemble
        blank = np.zeros((1, 28, 28), np.float32)
        self.names = list(each_model_log_proba(models, blank, ensemble))  # the models, then the ensemble

    def answer(self, digit: np.ndarray) -> tuple[dict[str, dict[str, float]], float]:
        started = time.perf_counter()
        log_probs = each_model_log_proba(self.models, digit[None], self.ensemble)
        labels = {
            name: {str(c): float(p) for c, p in enumerate(probabilities(lp)[0])}
            for name, lp in log_probs.items()
        }
        return labels, (time.perf_counter() - started) * 1000

    def outputs(self, make_digit) -> list:
        """[label per model..., the 28x28 image, a status line]; a bad input empties the labels."""
        try:
            digit = make_digit()
        except InputError as exc:
            message = str(exc)
            if "blank" in message:
                message = DRAW_FIRST
            return [None] * len(self.names) + [None, f"**{message}**"]
        labels, ms = self.answer(digit)
        shown = (255 - np.kron(digit, np.ones((8, 8))) * 255).astype(np.uint8)  # 224x224, dark on light
        return [labels[n] for n in self.names] + [shown, f"All {len(self.names)} answers in {ms:.0f} ms."]


def build(answerer: Answerer, title: str):
    import gradio as gr

    def from_sketch(canvas):
        return answerer.outputs(lambda: digit_from_canvas(canvas))

    def from_upload(path):
        def digit():
            if not path:
                raise InputError(DRAW_FIRST)
            try:
                return read_digits(Path(path)).images[0]
            except InputError as exc:  # name the file as the user knows it, not gradio's upload copy
                raise InputError(str(exc).replace(str(path), Path(path).name)) from None

        return answerer.outputs(digit)

    examples = (
        sorted(
            str(p) for p in (project_root() / EXAMPLES_DIR).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if (project_root() / EXAMPLES_DIR).is_dir()
        else []
    )
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f"# {title}\nDraw a digit, or drop a photo or scan: every model answers, side by side.")
        with gr.Row():
            sketch = gr.Sketchpad(
                label="Draw here", type="numpy", image_mode="RGBA", canvas_size=(280, 280), elem_id="sketch",
                brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"), layers=False,
                placeholder="Pick the brush (left), then draw one digit",
            )  # fmt: skip
            with gr.Column():
                # A plain file, not gr.Image: gradio would decode it itself and fail with a traceback
                # on a file that is not an image; here it goes through predict's own reader.
                upload = gr.File(
                    label="…or drop a picture (PNG, JPEG, BMP)", type="filepath", elem_id="upload",
                    file_types=[".png", ".jpg", ".jpeg", ".bmp"],
                )  # fmt: skip
                if examples:
                    gr.Examples(examples, inputs=upload, label="Examples: test digits as scans, and drawings")
        with gr.Row():
            labels = [
                gr.Label(num_top_classes=3, label=name, elem_id=f"label-{name}") for name in answerer.names
            ]
        with gr.Row():
            seen = gr.Image(label="What the models received (28x28, after cropping and centring)", height=240)
            status = gr.Markdown(elem_id="status")
        outputs = [*labels, seen, status]
        sketch.change(from_sketch, sketch, outputs, api_name="predict_drawing")
        upload.change(from_upload, upload, outputs, api_name="predict_upload")
    return demo


def models_at_revisions(revs: list[str], model: str) -> dict[str, LoadedModel]:
    """``model`` as committed at each git revision, read through DVC (local cache or the remote)."""
    import dvc.api

    loaded, workdir = {}, Path(tempfile.mkdtemp(prefix="mnist-dvc-app-"))
    path = MODEL_FILES[model]
    for rev in revs:
        target = workdir / f"{rev.replace('/', '_')}{path.suffix}"
        try:
            with dvc.api.open(str(path), repo=str(project_root()), rev=rev, mode="rb") as src:
                target.write_bytes(src.read())
        except Exception as exc:  # dvc raises many kinds: unknown revision, not in cache nor remote
            raise PipelineError(
                f"revision {rev!r}: cannot load {path} ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                f"run `git checkout {rev} && dvc pull` (or `dvc repro`) there, then `dvc push`"
            ) from None
        name = f"{model}@{rev}"
        loaded[name] = load_model(name, target)
    return loaded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rev", action="append", metavar="REV",
        help="a git revision whose model to show (repeatable): e.g. --rev main --rev HEAD compares the CNN "
        "of main with the CNN of HEAD on the same drawing; read with DVC from the cache or the remote",
    )  # fmt: skip
    parser.add_argument("--model", choices=list(MODEL_FILES), default="cnn", help="the model of each --rev")
    parser.add_argument(
        "--model-file", action="append", metavar="PATH",
        help="any model file the trainers write, instead of the pipeline's (repeatable)",
    )  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")


def start(args: argparse.Namespace):
    """Load the models and launch the server; return (demo, url) without blocking."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # decompression bombs: PIL refuses larger pictures
    if args.rev:
        models = models_at_revisions(args.rev, args.model)
        title = f"mnist-dvc: {args.model} at {', '.join(args.rev)}"
    elif args.model_file:
        models = {Path(f).stem: load_model(Path(f).stem, Path(f)) for f in args.model_file}
        title = "mnist-dvc: " + ", ".join(models)
    else:
        models = load_pipeline_models(list(MODEL_FILES))
        title = "mnist-dvc: every model on your handwriting"
    if args.host not in LOOPBACK:
        print(
            f"mnist-dvc app: warning: listening on {args.host}: anyone who can reach this machine on that "
            "network can use the app",
            file=sys.stderr,
        )
    # The ensemble is of the pipeline's three models; revisions and files are compared, not averaged.
    demo = build(Answerer(models, ensemble=not (args.rev or args.model_file)), title)
    demo.queue(default_concurrency_limit=4)
    demo.launch(
        server_name=args.host, server_port=args.port, share=False, max_file_size=MAX_UPLOAD,
        prevent_thread_lock=True, quiet=True, show_error=False, footer_links=[],
    )  # fmt: skip
    return demo, demo.local_url


def run(args: argparse.Namespace) -> None:
    demo, url = start(args)
    print(f"mnist-dvc app: serving {url} (Ctrl-C stops)", flush=True)
    try:
        demo.block_thread()
    finally:
        demo.close()
