"""`mnist-dvc app`: the same preprocessing and models as `predict`, a real server, a real browser.

The models here are small NumPy MLPs trained in a few seconds on drawn strokes (vertical lines are "1",
loops are "0", bent lines are "7"), so the tests need no MNIST download and no pipeline run, yet a
drawing must really be recognised.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_dvc.data.dataset import PreparedData
from mnist_dvc.data.normalization import Normalization
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.numpy_mlp.io import save_model
from mnist_dvc.models.numpy_mlp.train import train
from mnist_dvc.models.trained_models import load_model
from mnist_dvc.reading.picture_files import picture_digits, picture_to_rgb
from mnist_dvc.serving.answers import Answerer, digits_from_canvas
from mnist_dvc.serving.app import close, start
from mnist_dvc.serving.command import main as command
from tests.fixtures import default_sigint, free_port

CANVAS = 280  # the sketchpad's size in pixels


def draw(shape: str, rng=None, size=CANVAS, mode="RGBA") -> Image.Image:
    """A digit drawn with a thick black pen on a transparent (or white) canvas, as a person would."""
    rng = rng or np.random.default_rng(0)
    j = lambda: float(rng.uniform(-0.06, 0.06)) * size  # noqa: E731 - a hand's wobble
    s = size / 280
    picture = Image.new(mode, (size, size), (0, 0, 0, 0) if mode == "RGBA" else "white")
    pen = ImageDraw.Draw(picture)
    width = int(rng.integers(12, 24) * s)
    if shape == "1":
        pen.line([(140 * s + j(), 40 * s + j()), (140 * s + j(), 240 * s + j())], fill="black", width=width)
    elif shape == "0":
        pen.ellipse([80 * s + j(), 40 * s + j(), 200 * s + j(), 240 * s + j()], outline="black", width=width)
    else:  # "7"
        points = [(70 * s + j(), 50 * s + j()), (210 * s + j(), 50 * s + j()), (120 * s + j(), 240 * s + j())]
        pen.line(points, fill="black", width=width, joint="curve")
    return picture


def digits_of(shape: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([picture_digits(picture_to_rgb(draw(shape, rng))).digits[0] for _ in range(n)])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    """A NumPy MLP that tells drawn 1s, 0s and 7s apart (trained here in about a second)."""
    shapes = ["0", "1", "7"]
    split = {}
    for name, n, seed in (("train", 150, 0), ("val", 30, 1)):
        images = np.concatenate([digits_of(s, n, seed + 10 * i) for i, s in enumerate(shapes)])
        labels = np.repeat([int(s) for s in shapes], n)
        split[name] = (images[:, None].astype(np.float32), labels.astype(np.int64))
    norm = Normalization("minmax", 0.0, 1.0)
    data = PreparedData(
        {k: v[0] for k, v in split.items()}, {k: v[1] for k, v in split.items()}, norm,
        {"normalization": {"method": "minmax", "mean": 0.0, "std": 1.0}},
    )  # fmt: skip
    p = trainer_params(
        "numpy_mlp", hidden=[32], epochs=15, batch_size=32, lr=0.003, dropout=0.0, warmup_epochs=0
    )
    params, result = train(p, data, live_dir=None)
    assert result.history[result.best_epoch - 1]["val_accuracy"] == 1.0
    path = tmp_path_factory.mktemp("model") / "strokes.npz"
    meta = {"layer_sizes": [784, 32, 10], "activation": "relu", "normalization": data.meta["normalization"]}
    save_model(path, params, meta)
    return path


def test_a_drawing_gives_the_same_answer_through_the_app_as_through_predict(model_file, tmp_path):
    answerer = Answerer({"strokes": load_model("strokes", model_file)})
    for shape in ("1", "0", "7"):
        canvas = np.asarray(draw(shape, np.random.default_rng(42)))  # what the sketchpad sends: RGBA
        probs, _ = answerer.answer(*digits_from_canvas({"composite": canvas}))
        labels = {name: {str(c): float(v) for c, v in enumerate(p[0])} for name, p in probs.items()}
        Image.fromarray(canvas).save(tmp_path / f"{shape}.png")
        png, out, csv = (str(tmp_path / name) for name in (f"{shape}.png", "p.txt", "p.csv"))
        assert command(["predict", png, "--model-file", str(model_file), "--out", out, "--probs", csv]) == 0
        predicted = (tmp_path / "p.txt").read_text().strip()
        probs = [float(v) for v in (tmp_path / "p.csv").read_text().splitlines()[1].split(",")[2:]]
        assert max(labels["strokes"], key=labels["strokes"].get) == predicted == shape
        assert [labels["strokes"][str(c)] for c in range(10)] == pytest.approx(probs, abs=1e-6)


def test_pictures_of_digits_moved_inverted_and_enlarged_get_the_answers_of_the_originals(
    model_file, tmp_path
):
    """predict on PNGs: the 28x28 originals, and the same digits dark on light, enlarged and pasted
    off-centre on a 100x100 page, must get the model's answers for the original arrays (>= 98%)."""
    model = load_model("strokes", model_file)
    rng = np.random.default_rng(7)
    originals = np.concatenate([digits_of(s, 20, seed) for seed, s in enumerate(("0", "1", "7"))])
    expected = model.log_proba_of_unit_images(originals).argmax(1)
    for kind in ("original", "moved"):
        folder = tmp_path / kind
        folder.mkdir()
        for i, digit in enumerate(originals):
            pixels = Image.fromarray((digit * 255).round().astype(np.uint8))
            if kind == "moved":
                big = Image.fromarray(255 - np.asarray(pixels)).resize((60, 60), Image.Resampling.BICUBIC)
                pixels = Image.new("L", (100, 100), 255)
                pixels.paste(big, tuple(int(v) for v in rng.integers(0, 41, size=2)))
            pixels.save(folder / f"{i:03d}.png")
        out = tmp_path / f"{kind}.txt"
        assert command(["predict", str(folder), "--model-file", str(model_file), "--out", str(out)]) == 0
        agreement = (np.loadtxt(out, dtype=int) == expected).mean()
        assert agreement >= 0.98, (kind, agreement)


def test_an_empty_canvas_asks_for_a_digit_and_predicts_nothing(model_file):
    answerer = Answerer({"strokes": load_model("strokes", model_file)})
    empty = np.zeros((CANVAS, CANVAS, 4), np.uint8)  # all transparent
    *labels, seen, status = answerer.outputs(lambda: digits_from_canvas({"composite": empty}))
    assert labels == [None] and seen is None and "Draw a digit first" in status


def test_a_number_drawn_side_by_side_is_read_digit_by_digit(model_file):
    answerer = Answerer({"strokes": load_model("strokes", model_file)})
    one, zero = (np.asarray(draw(shape, np.random.default_rng(3))) for shape in ("1", "0"))
    canvas = np.concatenate([one, zero, one], axis=1)  # "101" on a canvas three digits wide
    label, seen, status = answerer.outputs(lambda: digits_from_canvas({"composite": canvas}))
    assert list(label) == ["101"] and 0 < label["101"] <= 1
    assert seen.shape == (224, 3 * 224) and "3 digits side by side" in status
    assert "| strokes | 1 (" in status and status.count("|") == 3 * 5  # a header, a rule, one row


@pytest.fixture(scope="module")
def server(model_file):
    """The app on a free 127.0.0.1 port, in this process, closed at the end."""
    args = argparse.Namespace(rev=None, model="cnn", model_file=[str(model_file)], host="127.0.0.1",
                              port=free_port())  # fmt: skip
    started = time.perf_counter()
    demo, url = start(args)
    assert time.perf_counter() - started < 30
    try:
        yield url
    finally:
        close(demo)


def test_api_labels_an_uploaded_picture_and_survives_a_file_that_is_not_one(server, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    draw("7", mode="RGB").save(tmp_path / "seven.png")
    (tmp_path / "notes.png").write_text("not an image")
    result = client.predict(handle_file(str(tmp_path / "seven.png")), api_name="/predict_upload")
    assert result[0]["label"] == "7"
    result = client.predict(handle_file(str(tmp_path / "notes.png")), api_name="/predict_upload")
    assert not result[0] and "notes.png: not an image" in result[-1]  # no made-up prediction
    result = client.predict(handle_file(str(tmp_path / "seven.png")), api_name="/predict_upload")
    assert result[0]["label"] == "7"


def _drawing(path: Path) -> dict:
    """What the sketchpad sends: its composite picture (no background, no layers)."""
    from gradio_client import handle_file

    return {"background": None, "layers": [], "composite": handle_file(str(path)), "id": None}


def test_a_drawing_past_the_pixel_limit_is_refused_before_it_is_decoded(server, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    Image.new("L", (8000, 7000), 0).save(tmp_path / "huge.png")  # 56 Mpixel, a few hundred KB
    draw("7", mode="RGBA").save(tmp_path / "seven.png")
    client = Client(server, verbose=False)
    started = time.perf_counter()
    with pytest.raises(AppError, match=r"Image size \(56000000 pixels\) exceeds limit"):
        client.predict(_drawing(tmp_path / "huge.png"), api_name="/predict_drawing")
    refused_s = time.perf_counter() - started
    result = client.predict(_drawing(tmp_path / "seven.png"), api_name="/predict_drawing")
    assert result[0]["label"] == "7"
    assert refused_s < 5  # decoding and reading it took 13 s before it was refused at its header


def test_large_uploads_in_parallel_do_not_hold_a_drawing(server, tmp_path):
    from gradio_client import Client, handle_file

    Image.new("L", (6000, 6000), 255).save(tmp_path / "large.png")  # 36 Mpixel, under the limit
    draw("7", mode="RGBA").save(tmp_path / "seven.png")
    client = Client(server, verbose=False)
    client.predict(_drawing(tmp_path / "seven.png"), api_name="/predict_drawing")  # warm
    jobs = [
        client.submit(handle_file(str(tmp_path / "large.png")), api_name="/predict_upload") for _ in range(8)
    ]
    time.sleep(0.5)  # the uploads are queued and running
    started = time.perf_counter()
    result = client.predict(_drawing(tmp_path / "seven.png"), api_name="/predict_drawing")
    answered_s = time.perf_counter() - started
    busy = sum(not job.done() for job in jobs)
    for job in jobs:
        assert "No digit found" in job.result()[-1]
    assert result[0]["label"] == "7"
    assert answered_s < 5, f"a drawing waited {answered_s:.1f} s while {busy} of 8 uploads ran"


def test_the_app_removes_its_uploads_when_it_stops(model_file, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from gradio_client import Client, handle_file

    env = {**os.environ, "TMPDIR": str(tmp_path), "GRADIO_ANALYTICS_ENABLED": "False"}
    app = subprocess.Popen(
        [sys.executable, "-m", "mnist_dvc.serving.command", "app", "--model-file", str(model_file),
         "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
        preexec_fn=default_sigint,  # Ctrl-C below must reach it as a terminal's would
    )  # fmt: skip
    try:
        url = app.stdout.readline().split("serving ")[1].split()[0]
        draw("7", mode="RGB").save(tmp_path / "seven.png")
        client = Client(url, verbose=False)
        client.predict(handle_file(str(tmp_path / "seven.png")), api_name="/predict_upload")
        client.close()  # its heartbeat stream, which the server's graceful stop would wait for, ends
        assert [p.name for p in tmp_path.glob("mnist-dvc-app-*/**/seven.png")] == ["seven.png"]
    finally:
        os.killpg(app.pid, signal.SIGINT)  # Ctrl-C
        app.wait(timeout=60)
    assert app.returncode == 0  # gradio ends block_thread on Ctrl-C; the app then closes itself
    assert not list(tmp_path.glob("mnist-dvc-app-*"))


def test_a_port_in_use_or_out_of_range_is_one_line(model_file, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = command(["app", "--model-file", str(model_file), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(f"mnist-dvc app: error: --host 127.0.0.1 --port {port}: cannot serve there"), err
    with pytest.raises(SystemExit) as exit_info:
        command(["app", "--model-file", str(model_file), "--port", "70000"])
    assert (
        exit_info.value.code == 2 and "'70000' is not a port number (1 to 65535)" in capsys.readouterr().err
    )


browser = pytest.importorskip("tools.browser", reason="needs selenium (requirements.txt)")


@pytest.mark.browser
@pytest.mark.skipif(not (browser.CHROMIUM and browser.CHROMEDRIVER), reason=browser.MISSING)
def test_a_person_draws_a_one_and_a_zero_in_a_real_browser(server):
    from selenium.webdriver.common.by import By

    chromium = browser.headless_chromium()
    try:
        sketch, wait = browser.open_sketchpad(chromium, server)
        browser.draw_stroke(chromium, sketch, [(0, -100), (0, 100)], steps=20)  # a "1": one vertical stroke
        wait.until(lambda b: browser.label_of(b, "strokes") == ["1"])
        sketch.find_element(By.CSS_SELECTOR, "button[aria-label='Clear canvas']").click()
        wait.until(lambda b: browser.label_of(b, "strokes") != ["1"])
        angles = np.linspace(0, 2 * np.pi, 37)  # a "0": a closed loop
        browser.draw_stroke(
            chromium, sketch, [(int(55 * np.sin(a)), int(-95 * np.cos(a))) for a in angles], 1
        )
        wait.until(lambda b: browser.label_of(b, "strokes") == ["0"])
    finally:
        chromium.quit()


@pytest.mark.e2e
def test_rev_loads_the_cnn_of_two_revisions_and_names_one_that_is_missing(pipeline, tmp_path, monkeypatch):
    from mnist_dvc import PipelineError
    from mnist_dvc.serving.app import models_at_revisions
    from tests.fixtures import DvcProject

    pipeline.run("git", "checkout", "-q", "-b", "second-cnn")
    try:
        params = pipeline.params()
        params["train_cnn"]["lr"] = 0.01
        pipeline.write_params(params)
        pipeline.dvc("repro", "-s", "train_cnn@42")
        pipeline.run("git", "add", "-A")
        pipeline.run("git", "commit", "-q", "-m", "second cnn")

        monkeypatch.chdir(pipeline.root)
        models = models_at_revisions(["main", "second-cnn"], "cnn", tmp_path / "revisions")
        assert list(models) == ["cnn@main", "cnn@second-cnn"]
        answerer = Answerer(models, ensemble=False)
        probs, _ = answerer.answer(np.random.default_rng(0).random((1, 28, 28), np.float32))
        assert set(probs) == {"cnn@main", "cnn@second-cnn"}
        assert not np.array_equal(probs["cnn@main"], probs["cnn@second-cnn"])  # two trainings, side by side

        # A clone with neither the cache nor a remote has no model to show for that revision.
        clone = DvcProject(tmp_path / "clone", pipeline.env)
        pipeline.run("git", "clone", "-q", str(pipeline.root), str(clone.root))
        monkeypatch.chdir(clone.root)
        with pytest.raises(
            PipelineError, match=r"revision 'HEAD': cannot load data/models/cnn/seed_42.pt .*dvc pull"
        ):
            models_at_revisions(["HEAD"], "cnn", tmp_path / "revisions")
    finally:
        pipeline.run("git", "checkout", "-q", "main")
        pipeline.dvc("checkout", "-q", "-f")


def test_why_shows_where_each_model_looked_with_the_explain_stages_attribution(model_file):
    """The "why" view: the stage's attribution (mnist_dvc.evaluation.explain) on the digit the model received,
    drawn beside it; nothing for an empty canvas or a number."""
    from mnist_dvc.evaluation.explain import attribution

    answerer = Answerer({"strokes": load_model("strokes", model_file)})
    canvas = np.asarray(draw("7", np.random.default_rng(5)))
    picture = answerer.why(lambda: digits_from_canvas({"composite": canvas}))
    assert picture.ndim == 3 and picture.shape[2] == 3 and picture.shape[1] > picture.shape[0]
    red = (picture[..., 0] > 180) & (picture[..., 1] < 120) & (picture[..., 2] < 120)
    assert red.sum() > 20  # pixels that speak for its answer, drawn in red
    digit = digits_from_canvas({"composite": canvas}).images
    model = answerer.models["strokes"]
    answer = model.log_proba_of_unit_images(digit).argmax(1)
    maps = attribution(model.members[0], model.normalize(digit), answer)
    assert np.abs(maps).max() > 0 and np.abs(maps[0][digit[0] == 0]).max() == 0  # ink only, vs a blank page
    empty = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    assert answerer.why(lambda: digits_from_canvas({"composite": empty})) is None
    one, zero = (np.asarray(draw(shape, np.random.default_rng(3))) for shape in ("1", "0"))
    number = np.concatenate([one, zero], axis=1)
    assert answerer.why(lambda: digits_from_canvas({"composite": number})) is None


def test_api_answers_why_after_the_labels(server, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    draw("1", mode="RGB").save(tmp_path / "one.png")
    picture = client.predict(handle_file(str(tmp_path / "one.png")), api_name="/why_upload")
    with Image.open(picture) as image:
        assert image.width > image.height > 100


def test_an_upload_or_a_drawing_is_read_once_for_the_answers_and_the_why(model_file, tmp_path, monkeypatch):
    import os

    from mnist_dvc.serving import answers

    read, drawn = [], []
    real_read, real_canvas = answers.read_digits, answers.digits_from_canvas
    monkeypatch.setattr(answers, "read_digits", lambda *a, **k: read.append(a[0]) or real_read(*a, **k))
    monkeypatch.setattr(
        answers, "digits_from_canvas", lambda *a, **k: drawn.append(1) or real_canvas(*a, **k)
    )
    answerer = Answerer({"strokes": load_model("strokes", model_file)})
    inputs = answers.Inputs(judge=None)

    path = tmp_path / "digit.png"
    draw("1", mode="RGB").save(path)
    first = answerer.outputs(inputs.of_upload(str(path)))
    assert answerer.why(inputs.of_upload(str(path))) is not None
    assert len(read) == 1 and max(first[0], key=first[0].get) == "1"
    # The same path with new contents (a new size or time) is read again.
    draw("0", mode="RGB").save(path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = answerer.outputs(inputs.of_upload(str(path)))
    assert len(read) == 2 and max(second[0], key=second[0].get) == "0"
    # A file that is not a picture is refused with its name each time, from one reading.
    (tmp_path / "notes.png").write_text("not a picture")
    for _ in range(2):
        assert "notes.png" in answerer.outputs(inputs.of_upload(str(tmp_path / "notes.png")))[-1]
    assert len(read) == 3

    canvas = {"composite": np.asarray(draw("7", np.random.default_rng(5)))}
    answerer.outputs(inputs.of_canvas(canvas))
    assert answerer.why(inputs.of_canvas(canvas)) is not None
    assert len(drawn) == 1
    canvas = {"composite": np.asarray(draw("7", np.random.default_rng(6)))}  # another drawing
    answerer.outputs(inputs.of_canvas(canvas))
    assert len(drawn) == 2
