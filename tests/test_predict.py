"""`mnist-dvc predict`: every kind of input, the input-scale rule, the outputs, and bad input refused."""

import csv
import gzip
import os
import pickle
import shutil
import stat

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_dvc.data.idx import encode_idx
from mnist_dvc.models.numpy_mlp.io import save_model
from mnist_dvc.models.numpy_mlp.network import init_params, predict_log_proba
from mnist_dvc.reading.digits import read_digits
from mnist_dvc.reading.picture_files import picture_digits
from mnist_dvc.serving.command import main
from tests.fixtures import PROJECT_ROOT, in_fresh_interpreter


@pytest.fixture
def model_file(tmp_path):
    """A small NumPy MLP (untrained weights suffice: predictions only need to be deterministic)."""
    path = tmp_path / "model.npz"
    params = init_params([784, 16, 10], "he", np.random.default_rng(0))
    meta = {"layer_sizes": [784, 16, 10], "activation": "relu", "normalization": {"mean": 0.13, "std": 0.31}}
    save_model(path, params, meta)
    return path


def _digits_uint8(n=5, seed=0):
    """Stroke digits drawn like MNIST: light ink on black, inside a centred 20x20 box."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = Image.new("L", (28, 28), 0)
        draw = ImageDraw.Draw(img)
        points = [(int(x), int(y)) for x, y in rng.integers(5, 23, size=(4, 2))]
        draw.line(points, fill=255, width=2)
        out.append(np.asarray(img))
    return np.stack(out)


def _predict(tmp_path, *args):
    out = tmp_path / "out.txt"
    code = main(["predict", *map(str, args), "--out", str(out)])
    return code, out


def test_one_tensor_file_in_every_scale_gives_the_same_predictions(tmp_path, model_file):
    pixels = _digits_uint8(6)
    unit = pixels.astype(np.float32) / 255
    files = {
        "pixels.pth": torch.from_numpy(pixels.astype(np.float32)),
        "unit.pth": torch.from_numpy(unit)[:, None],
        "seed.pth": torch.from_numpy((unit - 0.5) / 0.5)[:, None],  # the notebook's format
        "uint8.pt": torch.from_numpy(pixels),
    }
    results = []
    for name, tensor in files.items():
        torch.save(tensor, tmp_path / name)
        code, out = _predict(
            tmp_path, tmp_path / name, "--model-file", model_file, "--probs", tmp_path / "p.csv"
        )
        assert code == 0
        results.append(
            (out.read_text(), (tmp_path / "p.csv").read_text().split("\n", 1)[1].replace(name, ""))
        )
    assert all(r == results[0] for r in results)
    assert len(results[0][0].splitlines()) == 6
    # standard: normalized with the model's own constants.
    np.save(tmp_path / "std.npy", (unit - 0.13) / 0.31)
    code, out = _predict(
        tmp_path, tmp_path / "std.npy", "--model-file", model_file, "--input-scale", "standard"
    )
    assert code == 0 and out.read_text() == results[0][0]


def test_inputs_keep_their_order_folders_sorted_and_probs_name_their_source(tmp_path, model_file):
    folder = tmp_path / "digits"
    folder.mkdir()
    pixels = _digits_uint8(3)
    for i, name in enumerate(["b.png", "a.png", "c.png"]):
        Image.fromarray(pixels[i]).save(folder / name)
    (tmp_path / "t10k.gz").write_bytes(gzip.compress(encode_idx(pixels[:2])))
    np.save(tmp_path / "x.npy", pixels[:1])
    probs, picture = tmp_path / "p.csv", tmp_path / "p.png"
    code, out = _predict(
        tmp_path, tmp_path / "x.npy", folder, tmp_path / "t10k.gz", "--model-file", model_file,
        "--probs", probs, "--picture", picture,
    )  # fmt: skip
    assert code == 0
    with open(probs) as handle:
        rows = list(csv.DictReader(handle))
    assert [r["source"] for r in rows] == [
        f"{tmp_path}/x.npy[0]", f"{folder}/a.png", f"{folder}/b.png", f"{folder}/c.png",
        f"{tmp_path}/t10k.gz[0]", f"{tmp_path}/t10k.gz[1]",
    ]  # fmt: skip
    assert [r["predicted"] for r in rows] == out.read_text().split()
    for row in rows:
        p = np.array([float(row[f"p{c}"]) for c in range(10)])
        assert p.sum() == pytest.approx(1, abs=1e-5) and int(row["predicted"]) == p.argmax()
    assert picture.read_bytes()[:4] == b"\x89PNG"


def _best_match(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two digits, allowing the one-pixel rounding of centring by mass either way."""
    return max(
        np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def test_a_picture_inverted_enlarged_and_off_centre_becomes_the_same_mnist_digit():
    for strokes in _digits_uint8(5, seed=3).astype(np.float32):
        (reference,) = picture_digits(strokes).digits
        # A digit made the MNIST way is already redrawn, fitted and centred: it stays nearly as it is.
        (again,) = picture_digits(np.round(reference * 255)).digits
        assert _best_match(again, reference) > 0.75  # hooks shorter than the pen is wide go as spurs
        big = Image.fromarray(255 - np.round(reference * 255).astype(np.uint8)).resize(
            (60, 60), Image.Resampling.BICUBIC
        )
        paper = Image.new("L", (100, 100), 255)
        paper.paste(big, (35, 5))  # dark on light, 60x60, off-centre
        (moved,) = picture_digits(np.asarray(paper, np.float32)).digits
        assert _best_match(moved, reference) > 0.75


def test_a_transparent_drawing_counts_as_ink_on_white_paper(tmp_path):
    picture = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(picture).line([(100, 30), (100, 170)], fill=(0, 0, 0, 255), width=14)
    picture.save(tmp_path / "one.png")
    digit = read_digits(tmp_path / "one.png").images[0]
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1, abs=0.05)
    rows, cols = np.nonzero(digit > 0.05)
    assert 19 <= rows.max() - rows.min() + 1 <= 21  # a vertical stroke scaled to the 20-pixel box
    assert abs(cols.mean() - 13.5) <= 1  # centred


def _bad_inputs(tmp_path):
    def save_tensor(name, value):
        torch.save(value, tmp_path / name)
        return tmp_path / name

    class Payload:
        def __reduce__(self):
            return (print, ("pickle code ran",))

    (tmp_path / "evil.pth").write_bytes(pickle.dumps(Payload()))
    (tmp_path / "notes.png").write_text("not an image at all")
    np.save(tmp_path / "nan.npy", np.full((2, 28, 28), np.nan, np.float32))
    np.save(tmp_path / "empty.npy", np.zeros((0, 28, 28), np.float32))
    np.save(tmp_path / "wide.npy", np.linspace(-3, 5, 2 * 784, dtype=np.float32).reshape(2, 28, 28))
    np.save(tmp_path / "flat.npy", np.zeros((2, 28, 28), np.float32))
    return [
        (tmp_path / "absent.pth", "no such file or folder"),
        (save_tensor("cifar.pth", torch.zeros(4, 3, 32, 32)), "shape 4x3x32x32; expected Nx1x28x28"),
        (save_tensor("dict.pth", {"images": torch.zeros(1, 28, 28)}), "holds a dict, expected one tensor"),
        (tmp_path / "evil.pth", "not a plain tensor file, refused (it holds pickled Python objects"),
        (tmp_path / "notes.png", "not an image PIL can read"),
        (tmp_path / "nan.npy", "holds NaN or infinite values"),
        (tmp_path / "empty.npy", "holds zero images"),
        (tmp_path / "wide.npy", "values in [-3, 5] fit none of pixels [0, 255], unit [0, 1] or notebook"),
        (tmp_path / "flat.npy", "every value is 0: blank images"),
    ]


def test_bad_inputs_get_one_line_naming_the_file_and_write_nothing(tmp_path, model_file, capsys):
    cases = _bad_inputs(tmp_path)
    np.save(tmp_path / "good.npy", _digits_uint8(2))
    for path, message in cases:
        # A good file first: nothing may be written for it either.
        code, out = _predict(tmp_path, tmp_path / "good.npy", path, "--model-file", model_file, "--probs",
                             tmp_path / "p.csv")  # fmt: skip
        err = capsys.readouterr().err
        assert code == 1, path
        assert err.count("\n") == 1 and err.startswith(f"mnist-dvc predict: error: {path}: "), err
        assert message in err, err
        assert "pickle code ran" not in capsys.readouterr().out
        assert not out.exists() and not (tmp_path / "p.csv").exists()
        assert not list(tmp_path.glob(".*.tmp"))


def test_missing_pipeline_models_say_to_run_dvc_repro_or_pull(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")  # a project that has not run: no data/models/
    shutil.copy(PROJECT_ROOT / "params.yaml", tmp_path / "params.yaml")
    np.save(tmp_path / "x.npy", _digits_uint8(1))
    assert main(["predict", "x.npy"]) == 1
    err = capsys.readouterr().err
    assert "data/models/cnn/seed_42.pt: not found; run `dvc repro`" in err and "dvc pull" in err
    assert not (tmp_path / "predictions.txt").exists()


def test_an_output_that_is_an_input_is_refused(tmp_path, model_file, capsys):
    np.save(tmp_path / "x.npy", _digits_uint8(1))
    assert main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model_file), "--out",
                 str(tmp_path / "x.npy")]) == 1  # fmt: skip
    assert "is one of the inputs" in capsys.readouterr().err
    assert np.load(tmp_path / "x.npy").shape == (1, 28, 28)


def test_probs_are_scaled_by_the_models_temperature(tmp_path):
    params = init_params([784, 16, 10], "he", np.random.default_rng(0))
    meta = {"layer_sizes": [784, 16, 10], "activation": "relu", "normalization": {"mean": 0.13, "std": 0.31}}
    pixels = _digits_uint8(4)
    np.save(tmp_path / "x.npy", pixels)
    rows = {}
    for temperature in (1.0, 3.0):
        path = tmp_path / f"t{temperature:g}.npz"
        save_model(path, params, {**meta, "temperature": temperature})
        code, _ = _predict(tmp_path, tmp_path / "x.npy", "--model-file", path, "--probs", tmp_path / "p.csv")
        assert code == 0
        with open(tmp_path / "p.csv") as handle:
            rows[temperature] = np.array(
                [[float(r[f"p{c}"]) for c in range(10)] for r in csv.DictReader(handle)]
            )
    unit = (pixels.astype(np.float32) / 255 - np.float32(0.13)) / np.float32(0.31)
    log_probs = predict_log_proba(params, unit.reshape(4, -1), "relu")
    for temperature, probs in rows.items():
        expected = np.exp(log_probs / temperature)
        np.testing.assert_allclose(probs, expected / expected.sum(1, keepdims=True), atol=1e-5)
    assert (rows[3.0].argmax(1) == rows[1.0].argmax(1)).all() and (rows[3.0].max(1) < rows[1.0].max(1)).all()


def test_a_blank_picture_gets_no_digit_marked_and_counted_and_a_number_is_read_with_number(
    tmp_path, model_file, capsys
):
    Image.new("L", (50, 50), 255).save(tmp_path / "a_white.png")
    number = Image.new("L", (300, 120), 255)
    pen = ImageDraw.Draw(number)
    pen.line([(60, 20), (60, 100)], fill=0, width=6)
    pen.ellipse((140, 20, 200, 100), outline=0, width=6)
    pen.line([(250, 20), (250, 100)], fill=0, width=6)
    number.save(tmp_path / "b_number.png")
    code, out = _predict(tmp_path, tmp_path / "a_white.png", tmp_path / "b_number.png", "--model-file",
                         model_file, "--probs", tmp_path / "p.csv")  # fmt: skip
    assert code == 0
    blank, several = out.read_text().splitlines()
    assert (blank, several) == ("-", "?")
    report = capsys.readouterr().out
    assert "no digit found (-): 1" in report and "several digits side by side: 1" in report
    with open(tmp_path / "p.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["source"] for r in rows] == [str(tmp_path / "a_white.png")] + [
        f"{tmp_path / 'b_number.png'}[{i}]" for i in range(3)
    ]
    assert rows[0]["predicted"] == "-" and rows[0]["p0"] == ""
    code, out = _predict(tmp_path, tmp_path / "b_number.png", "--model-file", model_file, "--number")
    assert code == 0 and out.read_text() == "".join(r["predicted"] for r in rows[1:]) + "\n"
    assert "3 digits side by side" in capsys.readouterr().out


def test_a_picture_of_no_digit_still_gets_its_picture_file(tmp_path, model_file, capsys):
    Image.new("L", (50, 50), 255).save(tmp_path / "white.png")
    picture = tmp_path / "seen.png"
    code, out = _predict(tmp_path, tmp_path / "white.png", "--model-file", model_file, "--picture", picture)
    assert code == 0 and out.read_text() == "-\n"
    assert "no digit found" in capsys.readouterr().out
    with Image.open(picture) as seen:  # a page that says so, not a traceback
        assert seen.format == "PNG" and seen.width > 100


def test_one_picture_prints_its_answer(tmp_path, model_file, capsys):
    Image.fromarray(255 - _digits_uint8(1)[0]).resize((120, 120)).save(tmp_path / "x.png")
    code, out = _predict(tmp_path, tmp_path / "x.png", "--model-file", model_file)
    printed = capsys.readouterr().out
    assert code == 0 and printed.startswith(f"{tmp_path / 'x.png'}: {out.read_text().strip()} (")


def test_folders_are_read_recursively_sorted_and_skipped_files_named(tmp_path, model_file, capsys):
    pixels = 255 - _digits_uint8(4)
    folder = tmp_path / "photos"
    (folder / "b_sub").mkdir(parents=True)
    Image.fromarray(pixels[0]).resize((90, 90)).save(folder / "c.png")
    Image.fromarray(pixels[1]).resize((90, 90)).save(folder / "b_sub" / "a.gif")
    Image.fromarray(pixels[2]).resize((90, 90)).save(folder / "a.tiff")
    Image.fromarray(pixels[3]).resize((90, 90)).save(folder / "b_sub" / "d.webp", lossless=True)
    (folder / "b_sub" / "notes.txt").write_text("shopping list")
    code, out = _predict(tmp_path, folder, "--model-file", model_file, "--probs", tmp_path / "p.csv")
    assert code == 0
    with open(tmp_path / "p.csv") as handle:
        sources = [r["source"] for r in csv.DictReader(handle)]
    assert sources == [str(folder / n) for n in ("a.tiff", "b_sub/a.gif", "b_sub/d.webp", "c.png")]
    err = capsys.readouterr().err
    assert f"{folder / 'b_sub' / 'notes.txt'}: skipped, not a file predict reads" in err
    assert len(out.read_text().splitlines()) == 4


def test_outputs_that_clash_are_refused_before_any_work(tmp_path, model_file, capsys):
    np.save(tmp_path / "x.npy", _digits_uint8(1))
    out = tmp_path / "out.txt"
    out.write_text("keep me\n")
    for extra, message in (
        (["--out", str(tmp_path)], "--out names a folder"),
        (["--out", str(out), "--picture", str(out)], "given to both --out and --picture"),
        (["--out", str(out), "--probs", str(out)], "given to both --out and --probs"),
    ):
        code = main(["predict", str(tmp_path / "x.npy"), "--model-file", "/no/such/model.npz", *extra])
        err = capsys.readouterr().err
        assert code == 1 and err.count("\n") == 1 and message in err, err  # before the model is loaded
    assert out.read_text() == "keep me\n"


def test_an_output_that_cannot_be_written_leaves_every_output_as_it_was(tmp_path, model_file, capsys):
    np.save(tmp_path / "x.npy", _digits_uint8(2))
    out, probs = tmp_path / "old.txt", tmp_path / "old.csv"
    out.write_text("keep me\n")
    probs.write_text("keep me too\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        for third, reason in ((locked / "p.png", "Permission denied"), ("/proc/p.png", "")):
            if reason and os.geteuid() == 0:
                continue  # root writes into a read-only folder; /proc refuses everyone
            code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model_file),
                         "--out", str(out), "--probs", str(probs), "--picture", str(third)])  # fmt: skip
            err = capsys.readouterr().err
            assert code == 1 and err.count("\n") == 1, err
            assert err.startswith(f"mnist-dvc predict: error: {third}: cannot write it: "), err
            assert reason in err and "no output was changed" in err
            assert out.read_text() == "keep me\n" and probs.read_text() == "keep me too\n"
            assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    finally:
        locked.chmod(0o700)
    code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model_file), "--out", ""])
    err = capsys.readouterr().err
    assert code == 1 and "--out: an empty file name" in err and err.count("\n") == 1


def test_outputs_keep_the_users_file_mode_and_are_written_through_a_symlink(tmp_path, model_file):
    np.save(tmp_path / "x.npy", _digits_uint8(1))
    shared = tmp_path / "shared.txt"
    shared.write_text("old\n")
    shared.chmod(0o644)
    link = tmp_path / "link.txt"
    link.symlink_to(shared)
    code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model_file), "--out", str(link)])
    assert code == 0
    assert link.is_symlink() and link.resolve() == shared
    assert shared.read_text() != "old\n" and len(shared.read_text().split()) == 1
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644
    new = tmp_path / "new.txt"
    old_umask = os.umask(0o022)
    try:
        code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(model_file), "--out", str(new)])
    finally:
        os.umask(old_umask)
    assert code == 0 and stat.S_IMODE(new.stat().st_mode) == 0o644  # as open() makes it, not 0600


def test_a_picture_over_the_pixel_limit_is_called_too_large(tmp_path, model_file, capsys, monkeypatch):
    import mnist_dvc.reading.picture_files as picture_files

    monkeypatch.setattr(picture_files, "MAX_PIXELS", 100 * 100)
    Image.new("L", (200, 150), 255).save(tmp_path / "big.png")
    code, _ = _predict(tmp_path, tmp_path / "big.png", "--model-file", model_file)
    err = capsys.readouterr().err
    assert code == 1 and "big.png: too large (0 Mpixel, limit 0)" in err
    # Where a caller lowered PIL's own limit (the app does), the same words.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100 // 2)
    code, _ = _predict(tmp_path, tmp_path / "big.png", "--model-file", model_file)
    assert code == 1 and "big.png: too large" in capsys.readouterr().err


def test_an_unsafe_or_foreign_model_file_is_refused_in_one_line(tmp_path, capsys):
    class Payload:
        def __reduce__(self):
            return (print, ("pickle code ran",))

    np.save(tmp_path / "x.npy", _digits_uint8(1))
    torch.save({"state_dict": Payload(), "meta": "{}"}, tmp_path / "evil.pt")
    np.savez(tmp_path / "evil.npz", W0=np.array([Payload()], dtype=object))
    for model in ("evil.pt", "evil.npz"):
        code = main(["predict", str(tmp_path / "x.npy"), "--model-file", str(tmp_path / model), "--out",
                     str(tmp_path / "o.txt")])  # fmt: skip
        captured = capsys.readouterr()
        assert code == 1 and captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith(f"mnist-dvc predict: error: {tmp_path / model}: ")
        assert "pickled Python objects" in captured.err
        assert "weights_only" not in captured.err and "allow_pickle" not in captured.err
        assert "pickle code ran" not in captured.out


def test_help_lists_the_formats_predict_reads(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for word in ("PNG", "JPEG", "GIF", "TIFF", "WebP", ".pth/.pt", ".npy", "IDX"):
        assert word in text


def test_every_picture_format_and_mode_gives_the_same_digit(tmp_path):
    """What read right before photos were handled stays right: 16-bit, CMYK, palette, transparent, GIF,
    TIFF and lossless WebP pictures of one drawing become the same 28x28 digit."""
    stroke = [(60, 40), (150, 40), (90, 170)]  # a "7" with a thick pen
    base = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(base).line(stroke, fill=0, width=16)
    transparent = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(transparent).line(stroke, fill=(0, 0, 0, 255), width=16)
    pictures = {
        "plain.png": base,
        "sixteen.png": Image.fromarray(np.asarray(base).astype(np.uint16) * 257),
        "cmyk.jpg": base.convert("CMYK"),
        "palette.png": base.convert("P"),
        "transparent.png": transparent,
        "frame.gif": base,
        "scan.tiff": base,
    }
    for name, picture in pictures.items():
        picture.save(tmp_path / name)
    Image.fromarray(np.asarray(base)).save(tmp_path / "lossless.webp", lossless=True)
    assert Image.open(tmp_path / "sixteen.png").mode == "I;16"
    (reference,) = read_digits(tmp_path / "plain.png").images
    for path in sorted(tmp_path.iterdir()):
        digits = read_digits(path).images
        assert len(digits) == 1, path.name
        assert np.abs(digits[0] - reference).max() < 0.1, path.name  # JPEG's loss: a pixel's shade at most


def test_a_fifo_is_named_as_what_it_is_not_as_missing(tmp_path, capsys):
    fifo = tmp_path / "digits.png"
    os.mkfifo(fifo)
    code = main(["predict", str(fifo), "--out", str(tmp_path / "o.txt")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"{fifo}: not a regular file or folder (a pipe, socket or device)" in err


def test_the_judge_that_cuts_touching_digits_apart_is_the_models_that_answer(tmp_path, model_file):
    from mnist_dvc.models.trained_models import ensemble_log_proba, judge_of, load_model

    other = tmp_path / "other.npz"
    meta = {"layer_sizes": [784, 16, 10], "activation": "tanh", "normalization": {"mean": 0.13, "std": 0.31}}
    save_model(other, init_params([784, 16, 10], "he", np.random.default_rng(1)), meta)
    one, two = load_model("one", model_file), load_model("two", other)
    digits = np.random.default_rng(2).random((6, 28, 28)).astype(np.float32)
    alone = one.log_proba_of_unit_images(digits)
    np.testing.assert_allclose(judge_of({"one": one})(digits), alone, rtol=1e-6)
    both = ensemble_log_proba([alone, two.log_proba_of_unit_images(digits)])
    np.testing.assert_allclose(judge_of({"one": one, "two": two})(digits), both, rtol=1e-6)
    assert not np.allclose(both, alone)


def test_reading_a_photo_imports_neither_torch_nor_scipy_stats(tmp_path):
    # predict's start-up is its users' wait: scipy.stats alone took longer to import than a photo to
    # read, and torch is needed only for a .pth or a .pt without its ONNX twin.
    picture = Image.new("L", (320, 240), 235)
    ImageDraw.Draw(picture).ellipse((130, 60, 190, 180), outline=40, width=6)
    picture.save(tmp_path / "zero.png")
    code = (
        "import sys; from pathlib import Path; from mnist_dvc.reading.digits import read_digits; "
        f"n = len(read_digits(Path({str(tmp_path / 'zero.png')!r})).images); "
        "print(n, 'torch' in sys.modules, 'scipy.stats' in sys.modules)"
    )
    out = in_fresh_interpreter(code).stdout
    assert out.split() == ["1", "False", "False"]
