"""The web stage's page: the models' int8 copies, and the page in a real browser, served as any static host
would, against `mnist-dvc predict` on the same drawings.

The browser tests use the session's tiny pipeline (tests/conftest.py): its `dvc repro` built site/ with
the web stage, as `make repro` does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_dvc.models.numpy_mlp.io import save_model
from mnist_dvc.models.numpy_mlp.network import init_params
from mnist_dvc.models.numpy_mlp.onnx_export import export_numpy_onnx
from mnist_dvc.models.onnx_model import load_onnx, twin_of
from tests.fixtures import synthetic_digits

NORMALIZATION = {"method": "standard", "mean": 0.1307, "std": 0.3081}


def test_int8_weights_are_within_half_a_step_and_keep_the_answers(tmp_path):
    import onnx
    from onnx import numpy_helper

    from mnist_dvc.web.weights import quantize_weights

    params = [p * 3 for p in init_params([784, 256, 64, 10], "he", np.random.default_rng(2))]
    meta = {"layer_sizes": [784, 256, 64, 10], "activation": "relu", "normalization": NORMALIZATION}
    npz = tmp_path / "seed_0.npz"
    save_model(npz, params, meta)
    export_numpy_onnx(twin_of(npz), params, meta, npz)
    model = onnx.load(str(twin_of(npz)))
    quantize_weights(model)
    stored = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for i, w in enumerate(params[:4:2]):
        q, scale = stored[f"W{i}_int8"], stored[f"W{i}_scale"]
        assert q.dtype == np.int8 and scale.shape == (w.shape[1],)  # one scale per output unit
        assert np.all(np.abs(q * scale - w) <= scale / 2 + 1e-6)
    # Biases, and a weight matrix too small to matter (64 x 10), stay float32.
    np.testing.assert_array_equal(stored["b0"], params[1].astype(np.float32))
    np.testing.assert_array_equal(stored["W2"], params[4].astype(np.float32))
    small = tmp_path / "int8.onnx"
    small.write_bytes(model.SerializeToString())
    assert small.stat().st_size < 0.3 * twin_of(npz).stat().st_size
    images, _ = synthetic_digits(500, 3)
    x = ((images / 255.0 - 0.1307) / 0.3081).astype(np.float32)[:, None]
    full, _ = load_onnx(twin_of(npz))
    reduced, _ = load_onnx(small)
    p_full, p_reduced = np.exp(full(x)), np.exp(reduced(x))
    assert np.mean(p_full.argmax(1) == p_reduced.argmax(1)) >= 0.98
    assert np.abs(p_full - p_reduced).mean() < 0.01


browser = pytest.importorskip("tools.browser", reason="needs selenium (requirements.txt)")
needs_chromium = pytest.mark.skipif(not (browser.CHROMIUM and browser.CHROMEDRIVER), reason=browser.MISSING)


@pytest.fixture(scope="module")
def chromium():
    driver = browser.headless_chromium(1000, 900)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.browser
@needs_chromium
def test_the_page_answers_offline_says_draw_a_digit_when_blank_and_asks_only_its_own_origin(
    pipeline, chromium
):
    from selenium.webdriver.common.by import By

    from tools.digit_strokes import digit_strokes

    site = pipeline.root / "site"
    names = [m["name"] for m in json.loads((site / "models.json").read_text())["models"]]
    with browser.static_site(site) as url:
        browser.requested_urls(chromium)  # forget what came before
        browser.open_page(chromium, url)
        assert browser.page_state(chromium) == "blank"
        assert chromium.find_element(By.ID, "status").text == "draw a digit"
        # Once loaded it works offline: the network is cut before the first stroke.
        chromium.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        browser.draw_on_pad(chromium, digit_strokes(7, np.random.default_rng(0)))
        last = chromium.execute_script("return window.mnistPage.last")
        rows = chromium.find_elements(By.CSS_SELECTOR, "#answers tbody tr")
        assert [r.get_attribute("data-model") for r in rows] == [*names, "ensemble"]
        for name in names:
            assert sum(last["models"][name]) == pytest.approx(1, abs=1e-4)
        mean = np.mean([last["models"][n] for n in names], axis=0)
        np.testing.assert_allclose(last["ensemble"], mean, atol=1e-6)  # the mean of the calibrated models
        assert len(last["image"]) == 784 and max(last["image"]) > 0.9
        chromium.find_element(By.ID, "undo").click()  # the one stroke taken back: a blank pad again
        browser.WebDriverWait(chromium, 30).until(lambda b: browser.page_state(b) == "blank")
        assert chromium.find_element(By.ID, "status").text == "draw a digit"
        assert not chromium.find_elements(By.CSS_SELECTOR, "#answers tbody tr")
        requested = browser.requested_urls(chromium)
        chromium.delete_network_conditions()
    assert requested and all(u.startswith(url) or u.startswith("data:") for u in requested), requested


def drawn(strokes) -> np.ndarray:
    """Strokes as MNIST's drawing would render them (a 20x20 box at 4x, MNIST's pen, averaged back,
    centred by mass): training data for a model that reads drawn digits."""
    from PIL import Image, ImageDraw

    from mnist_dvc.reading.mnist_style import centre_by_mass

    points = np.concatenate([np.array(s) for s in strokes])
    low, extent = points.min(axis=0), np.ptp(points, axis=0).max()
    picture = Image.new("L", (84, 84), 0)
    pen = ImageDraw.Draw(picture)
    for stroke in strokes:
        pen.line(
            [tuple((np.array(p) - low) * 69 / extent + 6) for p in stroke], fill=255, width=11, joint="curve"
        )
    big = np.asarray(picture, np.float32) / 255
    rows, cols = np.nonzero(big)
    big = big[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    big = np.pad(big, [(0, -n % 4) for n in big.shape])
    return centre_by_mass(big.reshape(big.shape[0] // 4, 4, big.shape[1] // 4, 4).mean(axis=(1, 3)))


@pytest.fixture(scope="module")
def drawn_digits_model(tmp_path_factory):
    """A NumPy MLP that reads the drawn digits of tools/digit_strokes.py (trained here in seconds), with
    its ONNX twin: a model whose answers are clear, so that the page and predict can be held to the same
    digit. The tiny pipeline's models, trained on bars, hesitate between classes on a drawing."""
    from mnist_dvc.data.dataset import PreparedData
    from mnist_dvc.data.normalization import Normalization
    from mnist_dvc.models.families import trainer_params
    from mnist_dvc.models.numpy_mlp.train import train
    from tools.digit_strokes import digit_strokes

    rng = np.random.default_rng(10)
    images, labels = {}, {}
    for split, n in (("train", 800), ("val", 200)):
        labels[split] = np.arange(n) % 10
        images[split] = np.stack([drawn(digit_strokes(d, rng)) for d in labels[split]])[:, None]
    norm = Normalization("standard", 0.1307, 0.3081)
    data = PreparedData({k: norm.from_unit(v) for k, v in images.items()}, labels, norm,
                        {"normalization": norm.as_meta()})  # fmt: skip
    p = trainer_params(
        "numpy_mlp", hidden=[64], epochs=20, batch_size=32, lr=0.003, dropout=0.0, warmup_epochs=0
    )
    params, result = train(p, data, live_dir=None)
    assert result.history[result.best_epoch - 1]["val_accuracy"] >= 0.95
    path = tmp_path_factory.mktemp("drawn") / "seed_0.npz"
    meta = {"layer_sizes": [784, 64, 10], "activation": "relu", "normalization": norm.as_meta()}
    save_model(path, params, meta)
    export_numpy_onnx(twin_of(path), params, meta, path)
    return path


@pytest.mark.browser
@needs_chromium
def test_the_page_reads_drawings_as_predict_does(
    pipeline, drawn_digits_model, chromium, tmp_path, monkeypatch
):
    """50 drawings through Selenium's pointer actions. The page (its own JavaScript preprocessing, the
    models' float32 twins in ONNX Runtime Web) against predict's path on the pad's PNG (the same models
    in Python): the 28x28 images close; the page's probabilities for its own image equal to Python's for
    that image, for every model and the ensemble; and the model that reads drawn digits gives the same
    digit on the page as through predict on >= 98% of them."""
    from mnist_dvc.models import registry
    from mnist_dvc.models.trained_models import ENSEMBLE, each_model_log_proba, judge_of, load_model
    from mnist_dvc.reading.digits import read_digits
    from mnist_dvc.web.params import SCHEMA
    from mnist_dvc.web.site import build_site
    from tools.digit_strokes import digit_strokes

    root = pipeline.root
    monkeypatch.chdir(root)  # where the web stage runs
    p = SCHEMA.load(root / "params.yaml", weights="float32")
    entries, seeds = registry.read(root / "params.yaml")
    files = {name: [(s, root / twin_of(e.file(s))) for s in seeds] for name, e in entries.items()}
    files["drawn"] = [(0, twin_of(drawn_digits_model))]
    build_site(files, p, tmp_path / "site", root / "web")
    models = {name: load_model(name, root / e.file(seeds[0])) for name, e in entries.items()}
    models["drawn"] = load_model("drawn", drawn_digits_model)
    rng = np.random.default_rng(1)
    answers, pictures = [], []
    with browser.static_site(tmp_path / "site") as url:
        browser.open_page(chromium, url)
        for i in range(50):
            browser.clear_pad(chromium)
            browser.draw_on_pad(chromium, digit_strokes(i % 10, rng))
            answers.append(chromium.execute_script("return window.mnistPage.last"))
            pictures.append(tmp_path / f"{i}.png")
            pictures[-1].write_bytes(browser.pad_png(chromium))
    read = [read_digits(p, judge=judge_of(models)).images for p in pictures]
    assert all(len(r) == 1 for r in read)
    python_images = np.concatenate(read)
    page_images = np.array([a["image"] for a in answers], np.float32).reshape(-1, 28, 28)
    differences = np.abs(page_images - python_images).reshape(50, -1).mean(axis=1)
    # predict finds the centre lines as the ink's skeleton, the page has them: a sharp corner's short
    # spur, which predict keeps so that a fat digit's short strokes stay (mnist_style.SPUR), can move its
    # image by a pixel.
    assert differences.max() <= 0.11 and np.median(differences) <= 0.04, differences
    python = each_model_log_proba(models, python_images)
    on_page_images = each_model_log_proba(models, page_images)
    for name in python:
        page = np.array([a["ensemble"] if name == ENSEMBLE else a["models"][name] for a in answers])
        np.testing.assert_allclose(page, np.exp(on_page_images[name]), atol=1e-4, err_msg=name)
    page = np.array([a["models"]["drawn"] for a in answers]).argmax(1)
    assert np.mean(page == python["drawn"].argmax(1)) >= 0.98
    assert np.mean(page == np.arange(50) % 10) >= 0.9  # it reads the drawings: the agreement means something


def _fake_npm(tmp_path, files: dict[str, bytes]):
    """A stand-in `npm` whose `npm pack` writes a tarball laid out as onnxruntime-web's."""
    import io
    import stat
    import sys
    import tarfile

    tarball = tmp_path / "onnxruntime-web.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/dist/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    script = tmp_path / "npm"
    script.write_text(
        f"#!{sys.executable}\nimport shutil, sys, pathlib\n"
        "dest = pathlib.Path(sys.argv[sys.argv.index('--pack-destination') + 1])\n"
        f"shutil.copy({str(tarball)!r}, dest / 'onnxruntime-web-1.0.0.tgz')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, tarball


def test_onnx_runtime_web_is_taken_from_its_tarball_only_when_the_integrity_matches(tmp_path):
    from mnist_dvc import PipelineError
    from mnist_dvc.web.runtime import FILES, fetch_runtime, integrity_of

    contents = {name: f"contents of {name}".encode() for name in (*FILES, "ort.webgpu.min.js")}
    npm, tarball = _fake_npm(tmp_path, contents)
    dest = tmp_path / "ort"
    dest.mkdir()
    wrong = "sha512-" + "A" * 86 + "=="
    with pytest.raises(PipelineError) as refused:
        fetch_runtime("1.0.0", wrong, dest, npm=str(npm))
    assert str(refused.value) == (
        f"params.yaml: web.onnxruntime_web.integrity is {wrong}, but npm's onnxruntime-web@1.0.0 has "
        f"{integrity_of(tarball)}"
    )
    assert not any(dest.iterdir())  # nothing taken from a tarball that is not the pinned one
    fetch_runtime("1.0.0", integrity_of(tarball), dest, npm=str(npm))
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == {n: contents[n] for n in FILES}  # not WebGPU's
