"""`mnist-dvc app`: a local web page where you draw a digit or drop a picture and every model answers.

Built with gradio, around :mod:`mnist_dvc.serving.answers` (what the page answers). A drawing is just
another picture: it goes through the same preprocessing as `mnist-dvc predict`
(:mod:`mnist_dvc.reading.digits`) and the same model loading (:mod:`mnist_dvc.models.trained_models`).
Binds 127.0.0.1 unless told otherwise; no share link, no analytics, nothing fetched from the internet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from mnist_dvc import PipelineError
from mnist_dvc.models import registry
from mnist_dvc.models.trained_models import TrainedModel, judge_of, load_model, load_pipeline_models
from mnist_dvc.params import PARAMS_FILE
from mnist_dvc.paths import READER_FILE, project_root
from mnist_dvc.reading.digits import IMAGE_SUFFIXES, is_picture
from mnist_dvc.reading.number_reader import load_reader
from mnist_dvc.reading.picture_files import MAX_PIXELS
from mnist_dvc.serving.answers import Answerer, Inputs

MAX_UPLOAD = "10mb"
# Requests run at once per kind (gradio's concurrency groups), and requests waiting in all: past it a
# client is told the queue is full instead of the server holding every picture sent.
WORKERS = {
    kind: {"concurrency_id": kind, "concurrency_limit": limit}
    for kind, limit in (("drawing", 2), ("upload", 2), ("why", 1))
}
MAX_QUEUED = 32
UPLOADS_PREFIX = "mnist-dvc-app-"  # the servers' own temporary folder: uploads, models read at --rev
# The servers running in this process. gradio takes its upload folder from the environment, at requests
# too, so they share one folder, removed when the last of them stops.
_RUNNING: set = set()
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EXAMPLES_DIR = Path("docs/digits")  # pictures of test digits: scans (easy and hard) and drawings
# The sketchpad opens with its brush chosen, so a drag draws at once, and picks it again after "Clear
# canvas" (gradio opens it, and clears it, with no tool chosen: a drag then draws nothing).
PICK_BRUSH = """() => {
  const pick = () => {
    const brush = document.querySelector("#sketch button[aria-label='Brush']");
    if (!brush) { setTimeout(pick, 100); return; }
    if (!brush.classList.contains("highlight")) { brush.click(); }
  };
  pick();
  document.addEventListener("click", (event) => {
    if (event.target.closest("#sketch button[aria-label='Clear canvas']")) { setTimeout(pick, 100); }
  }, true);
}"""


def build(answerer: Answerer, title: str):
    import gradio as gr

    # The models that answer also cut a number's touching digits apart.
    inputs = Inputs(judge_of(answerer.models), load_reader(project_root() / READER_FILE))

    def from_sketch(canvas):
        return answerer.outputs(inputs.of_canvas(canvas))

    def from_upload(path):
        return answerer.outputs(inputs.of_upload(path))

    def why_sketch(canvas):
        return answerer.why(inputs.of_canvas(canvas))

    def why_upload(path):
        return answerer.why(inputs.of_upload(path))

    examples = (
        sorted(str(p) for p in (project_root() / EXAMPLES_DIR).iterdir() if is_picture(p))
        if (project_root() / EXAMPLES_DIR).is_dir()
        else []
    )
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(f"# {title}\nDraw a digit, or drop a photo or scan: every model answers, side by side.")
        with gr.Row():
            sketch = gr.Sketchpad(
                label="Draw here", type="numpy", image_mode="RGBA", canvas_size=(280, 280), elem_id="sketch",
                brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"), layers=False,
                placeholder="Draw a digit (or a number) here",
            )  # fmt: skip
            with gr.Column():
                # A plain file, not gr.Image: gradio would decode it itself and fail with a traceback
                # on a file that is not an image; here it goes through predict's own reader.
                upload = gr.File(
                    label="…or drop a picture: a photo, a scan or a drawing", type="filepath",
                    elem_id="upload", file_types=list(IMAGE_SUFFIXES),
                )  # fmt: skip
                if examples:
                    gr.Examples(examples, inputs=upload, label="Examples: test digits as scans, and drawings")
        with gr.Row():
            labels = [
                gr.Label(num_top_classes=3, label=name, elem_id=f"label-{name}") for name in answerer.names
            ]
        with gr.Row():
            seen = gr.Image(label="What the models received (28x28 each, redrawn and centred)", height=240)
            status = gr.Markdown(elem_id="status")
        why = gr.Image(label="Why: where each model looked (red pixels speak for its answer, blue against)",
                       elem_id="why", height=260)  # fmt: skip
        outputs = [*labels, seen, status]
        # The answers first; where each model looked follows (it takes longer: a backward pass each).
        # Drawings, uploads and the "why" pictures each have their own workers, so a client sending large
        # pictures delays only the uploads queued behind its own.
        sketch.change(from_sketch, sketch, outputs, api_name="predict_drawing", **WORKERS["drawing"]).then(
            why_sketch, sketch, why, api_name="why_drawing", **WORKERS["why"]
        )
        upload.change(from_upload, upload, outputs, api_name="predict_upload", **WORKERS["upload"]).then(
            why_upload, upload, why, api_name="why_upload", **WORKERS["why"]
        )
    return demo


def models_at_revisions(revs: list[str], model: str, workdir: Path) -> dict[str, TrainedModel]:
    """``model`` as committed at each git revision, read through DVC (local cache or the remote) into
    ``workdir``, where the "why" view reads them again."""
    import dvc.api

    loaded = {}
    workdir.mkdir(parents=True, exist_ok=True)
    entries, seeds = registry.read(project_root() / PARAMS_FILE)
    path = registry.pick([model], entries)[0].file(seeds[0])  # its first seed
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
    parser.add_argument(
        "--model", default="cnn", help="the model of each --rev (its first seed; default: %(default)s)"
    )
    parser.add_argument(
        "--model-file", action="append", metavar="PATH",
        help="any model file the trainers write, instead of the pipeline's (repeatable)",
    )  # fmt: skip
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=port_number, default=7860, help="port (default: %(default)s)")


def port_number(text: str) -> int:
    """--port: an integer from 1 to 65535 (argparse prints the message and exits 2)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


def start(args: argparse.Namespace):
    """Load the models and launch the server; return (demo, url) without blocking."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from PIL import Image

    # Decompression bombs, drawings included: PIL warns past its limit and refuses past twice it, at
    # opening (from the header), before decoding anything; so past MAX_PIXELS, as predict does. gradio
    # shows the refusal's message in the page (show_error): the handlers' own errors are messages already.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # under MAX_PIXELS: a large photo
    # Uploads land in a folder of the app's own, removed when it stops (run, close).
    if not _RUNNING:
        os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix=UPLOADS_PREFIX)
    uploads = os.environ["GRADIO_TEMP_DIR"]
    try:
        demo = _launch(args, Path(uploads))
    except BaseException:
        if not _RUNNING:
            shutil.rmtree(uploads, ignore_errors=True)
        raise
    return demo, demo.local_url


def _launch(args: argparse.Namespace, uploads: Path):
    if args.rev:
        models = models_at_revisions(args.rev, args.model, uploads / "revisions")
        title = f"mnist-dvc: {args.model} at {', '.join(args.rev)}"
    elif args.model_file:
        models = {Path(f).stem: load_model(Path(f).stem, Path(f)) for f in args.model_file}
        title = "mnist-dvc: " + ", ".join(models)
    else:
        models = load_pipeline_models()
        title = "mnist-dvc: every model on your handwriting"
    if args.host not in LOOPBACK:
        print(
            f"mnist-dvc app: warning: listening on {args.host}: anyone who can reach this machine on that "
            "network can use the app",
            file=sys.stderr,
        )
    # The ensemble is of the pipeline's models; revisions and files are compared, not averaged.
    demo = build(Answerer(models, ensemble=not (args.rev or args.model_file)), title)
    demo.uploads_folder = uploads
    demo.queue(max_size=MAX_QUEUED)
    try:
        demo.launch(
            server_name=args.host, server_port=args.port, share=False, max_file_size=MAX_UPLOAD,
            prevent_thread_lock=True, quiet=True, show_error=True, footer_links=[], js=PICK_BRUSH,
        )  # fmt: skip
    except OSError as exc:  # the port is taken, or the address is not this machine's
        demo.close()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PipelineError(f"--host {args.host} --port {args.port}: cannot serve there ({first})") from None
    _RUNNING.add(demo)
    return demo


def close(demo) -> None:
    """Stop the server and remove what it kept: the uploads, and the models read at --rev."""
    demo.close()
    _RUNNING.discard(demo)
    if not _RUNNING:
        shutil.rmtree(demo.uploads_folder, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    demo, url = start(args)
    print(f"mnist-dvc app: serving {url} (Ctrl-C stops)", flush=True)
    try:
        demo.block_thread()
    finally:
        close(demo)
