"""The number reader: numbers written from digits, CTC's greedy reading, the network, its ONNX twin, its
params, and how a picture's writing of several digits is read by it (mnist_dvc/reading/number_reader.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_dvc.data.written import written_number
from mnist_dvc.models.number_reader.network import NumberReaderNet
from mnist_dvc.models.number_reader.params import SCHEMA
from mnist_dvc.models.number_reader.sequence import (
    BLANK,
    INPUT_HEIGHT,
    INPUT_WIDTH,
    MARGIN,
    STEPS,
    decode,
    reader_input,
)
from mnist_dvc.models.number_reader.train import exact_share, export_reader, train_reader, written_numbers
from mnist_dvc.models.onnx_model import OnnxModelError
from mnist_dvc.params import ParamsError
from mnist_dvc.reading.number_reader import NumberReader, Reading, load_reader, overruled, part_masks


def _one_hot_steps(classes: list[int], sure: float = 0.9) -> np.ndarray:
    """Log-probabilities of STEPS steps, each ``sure`` of its class in ``classes`` (padded with blanks)."""
    classes = classes + [BLANK] * (STEPS - len(classes))
    probs = np.full((STEPS, BLANK + 1), (1 - sure) / BLANK)
    probs[np.arange(STEPS), classes] = sure
    return np.log(probs)


def test_ctc_reading_merges_repeats_drops_blanks_and_keeps_a_digit_written_twice():
    log_probs = _one_hot_steps([BLANK, 3, 3, BLANK, 3, 5, 5, 5, BLANK, 0])
    log_probs[6, 5] = np.log(0.95)  # step 6 is the surest of the 5s
    digits, probabilities, steps = decode(log_probs)
    assert digits == [3, 3, 5, 0]
    assert steps.tolist() == [1, 4, 6, 9]
    assert np.allclose(probabilities.sum(axis=1), 1)  # the ten digits, the blank left out
    assert probabilities.argmax(axis=1).tolist() == digits


def test_nothing_but_blanks_reads_no_digit():
    digits, probabilities, steps = decode(_one_hot_steps([]))
    assert digits == [] and probabilities.shape == (0, 10) and steps.shape == (0,)


def test_the_reader_sees_the_writing_scaled_to_its_rows_and_left_aligned():
    crop = np.zeros((60, 90), bool)
    crop[10:50, 20:80] = True  # 40 rows by 60 columns of ink
    image, scale = reader_input(crop)
    assert image.shape == (INPUT_HEIGHT, INPUT_WIDTH) and scale == pytest.approx(
        (INPUT_HEIGHT - 2 * MARGIN) / 40
    )
    rows, cols = np.nonzero(image > 0.5)
    assert (rows.min(), rows.max() + 1) == (MARGIN, INPUT_HEIGHT - MARGIN)
    assert (cols.min(), cols.max() + 1) == (MARGIN, MARGIN + round(60 * scale))
    long = np.ones((10, 400), bool)  # wider than the input at full height: squeezed to fit
    image, scale = reader_input(long)
    assert np.nonzero(image.any(axis=0))[0].max() < INPUT_WIDTH and scale == pytest.approx(124 / 400)
    assert not reader_input(np.zeros((5, 5), bool))[0].any()


def test_a_narrow_last_digit_overlapping_a_wide_one_fits_in_the_number():
    images, labels = handwritten_digits()
    wide, narrow = images[labels == 0][0], images[labels == 1][0]
    for seed in range(20):  # overlapping steps: a 1 after a 0 must not reach past the number's end
        mask = written_number([wide, wide, narrow], 40, 3, np.random.default_rng(seed), gaps=(-0.5, -0.4))
        assert mask.shape[0] >= 40 and mask.max() > 0.5


def test_written_numbers_are_drawn_from_the_params_ranges_and_are_the_same_for_a_seed():
    images, labels = handwritten_digits()
    p = SCHEMA.load(digits=[2, 3], height=[24, 40])
    inputs, targets = written_numbers(images, labels, 12, p, np.random.default_rng(0))
    again, same = written_numbers(images, labels, 12, p, np.random.default_rng(0))
    assert np.array_equal(inputs, again) and targets == same
    assert inputs.shape == (12, INPUT_HEIGHT, INPUT_WIDTH) and inputs.dtype == np.uint8
    assert all(2 <= len(t) <= 3 for t in targets) and all(image.any() for image in inputs)


def test_the_network_gives_a_distribution_over_the_classes_at_every_step():
    out = NumberReaderNet(width=4, hidden=8)(torch.zeros(3, 1, INPUT_HEIGHT, INPUT_WIDTH))
    assert out.shape == (3, STEPS, BLANK + 1)
    assert torch.allclose(out.exp().sum(-1), torch.ones(3, STEPS), atol=1e-5)


def handwritten_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8, from many writers), scaled to 28x28: real digit
    shapes, which the tests' synthetic digits (a bar per class) are not."""
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.stack([np.pad(resize(d / 16, (20, 20), order=1), 4) for d in digits.images])
    return images.astype(np.float32), digits.target


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small reader trained on numbers of one or two synthetic digits, and its ONNX twin."""
    images, labels = handwritten_digits()
    images, labels = images[labels < 2], labels[labels < 2]  # 0s and 1s: learnt in seconds
    p = SCHEMA.load(numbers=400, val_numbers=50, digits=[1, 2], height=[24, 40], width=8, hidden=32,
                    epochs=12, batch_size=16)  # fmt: skip
    rng = np.random.default_rng(0)
    half = len(images) // 2
    train = written_numbers(images[:half], labels[:half], p.numbers, p, rng)
    val = written_numbers(images[half:], labels[half:], p.val_numbers, p, rng)
    model, history = train_reader(p, train, val)
    path = tmp_path_factory.mktemp("reader") / "reader.onnx"
    export_reader(path, model, {"seed": p.seed})
    return model, history, path, val


def test_training_lowers_the_loss_and_reads_numbers_it_never_saw(trained):
    model, history, _, val = trained
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    # By chance, even with each number's length right, 3/8 (1/2 for one digit, 1/4 for two)
    assert exact_share(model, *val) == history[-1]["val_exact"] > 0.6


def test_the_onnx_twin_reads_as_the_network_does(trained):
    model, _, path, (inputs, _) = trained
    reader = NumberReader(path)
    x = inputs[:16].astype(np.float32) / 255
    with torch.no_grad():
        expected = model(torch.from_numpy(x)[:, None]).numpy()
    assert np.allclose(reader.log_probs(x), expected, atol=1e-4)
    assert reader.meta["parameters"] == sum(w.numel() for w in model.parameters())


def test_a_missing_reader_is_none_and_a_models_onnx_file_is_refused_in_one_line(tmp_path, trained):
    assert load_reader(tmp_path / "nothing.onnx") is None
    import onnx

    from mnist_dvc.models.onnx_model import FORMAT, META_KEY

    graph = onnx.load(trained[2])
    graph.metadata_props[0].value = graph.metadata_props[0].value.replace("number-reader", "onnx")
    assert FORMAT in graph.metadata_props[0].value and graph.metadata_props[0].key == META_KEY
    other = tmp_path / "cnn.onnx"
    other.write_bytes(graph.SerializeToString())
    with pytest.raises(
        OnnxModelError, match=r"cnn\.onnx: format 'mnist-dvc/onnx/1', expected 'mnist-dvc/number-reader/1'"
    ):
        load_reader(other)


def test_the_ink_is_shared_between_the_digits_by_where_the_reader_read_them():
    crop = np.zeros((20, 50), bool)
    crop[2:18, 4:12] = True  # a digit...
    crop[9:11, 12:30] = True  # ...joined by a stroke to...
    crop[2:18, 30:40] = True  # ...another
    left, right = part_masks(crop, np.array([8.0, 35.0]))
    assert left[2:18, 4:12].all() and right[2:18, 30:40].all()
    assert not (left & right).any() and np.array_equal(left | right, crop)
    first, second = part_masks(crop, np.array([35.0, 35.5]))  # read twice in one place: its own column
    assert first.any() and second.any()


def test_the_readers_digits_overrule_the_models_only_where_it_read():
    models = np.full((3, 10), 0.1)
    read = np.full((3, 10), np.nan, np.float32)
    read[1] = np.eye(10)[7]
    result = overruled(models, read)
    assert np.array_equal(result[[0, 2]], models[[0, 2]]) and result[1].argmax() == 7
    assert overruled(models, None) is models


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("digits", [4, 1], r"train_number_reader.digits = \[4, 1\]: expected \[lowest, highest\]"),
        ("gaps", [0.1], r"train_number_reader.gaps = \[0.1\]"),
        ("digits", [1, 9], r"train_number_reader.digits\[1\]"),
    ],
)
def test_bad_ranges_are_refused_naming_the_key(key, value, message):
    with pytest.raises(ParamsError, match=message):
        SCHEMA.load(**{key: value})


class _Reads:
    """A reader that reads the digits it is given, wherever it is asked: how find_digits uses one."""

    def __init__(self, digits, where=None):
        self.digits, self.crops = digits, []
        self.where = (np.arange(len(digits)) + 0.5) / len(digits) if where is None else np.array(where)

    def read(self, crop):
        self.crops.append(crop)
        centres = self.where * crop.shape[1]  # shares of the crop's width
        return Reading(list(self.digits), np.eye(10, dtype=np.float32)[self.digits], centres)


def _touching_pair() -> np.ndarray:
    """A white page with two digit-like rings, written touching: one piece of ink two digits wide."""
    from skimage.draw import ellipse_perimeter, line

    page = np.full((240, 320), 235, np.uint8)
    for cx in (130, 190):
        rr, cc = ellipse_perimeter(120, cx, 40, 28)
        page[rr, cc] = 30
    rr, cc = line(120, 158, 120, 162)
    page[rr, cc] = 30
    from skimage.morphology import dilation, disk

    return np.where(dilation(page < 100, disk(2)), 30, 235).astype(np.uint8)


def test_writing_of_several_digits_is_read_whole_by_the_reader_and_one_digit_by_the_models():
    from mnist_dvc.reading.photo import find_digits

    def judge(digits):  # the models: every part is a sure "0"
        return np.log(np.tile(np.eye(10)[0] * 0.9 + 0.01, (len(digits), 1)))

    # The models read the pair whole (one surely read part beats two): in a number, the reader's two
    # digits win; outside one, the models' single digit stands (a wide "8" is not read as "88").
    reader = _Reads([4, 2])
    found = find_digits(_touching_pair(), judge=judge, reader=reader, number=True)
    assert reader.crops and found.read is not None and len(found.digits) == 2
    assert overruled(np.full((2, 10), 0.1), found.read).argmax(axis=1).tolist() == [4, 2]
    assert find_digits(_touching_pair(), judge=judge, reader=reader).read is None
    assert find_digits(_touching_pair(), judge=judge, number=True).read is None  # no reader at all

    single = _Reads([4])  # read as one digit where the models found one: the models read it
    ring = _touching_pair()
    ring[:, 160:] = 235
    assert find_digits(ring, judge=judge, reader=single, number=True).read is None


def test_the_digits_the_reader_read_are_pictured_as_the_models_best_cut_into_as_many_parts():
    from mnist_dvc.reading.photo import find_digits

    def sure_zero(digits):
        return np.log(np.tile(np.eye(10)[0] * 0.9 + 0.01, (len(digits), 1)))

    ring = _touching_pair()
    ring[:, 160:] = 235
    (one_ring,) = find_digits(ring).digits
    (the_pair,) = find_digits(_touching_pair(), judge=sure_zero).digits  # one sure part beats two

    def judge(digits):  # the models: a ring is a sure "0" and the pair whole a surer "8"
        scores = np.full((len(digits), 10), -4.0)
        scores[:, 0] = -40 * ((digits - one_ring) ** 2).mean(axis=(1, 2)) - 0.1
        scores[:, 8] = -40 * ((digits - the_pair) ** 2).mean(axis=(1, 2))
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))

    # CTC reads a digit where its column is surest, often near one edge: shared out by those places,
    # the ink would give the first digit a sliver of the first ring and the second the rest.
    reader = _Reads([4, 2], where=[0.05, 0.3])
    assert len(find_digits(_touching_pair(), judge=judge).digits) == 1  # the models keep it whole
    digits = find_digits(_touching_pair(), judge=judge, reader=reader, number=True).digits
    read = judge(digits)
    assert read.argmax(axis=1).tolist() == [0, 0] and (read.max(axis=1) > np.log(0.5)).all()  # 2 rings


def test_a_flat_mark_is_drawn_at_the_size_of_a_digit_not_stretched_without_end():
    from mnist_dvc.data.written import stroke_mask

    dash = np.zeros((28, 28), np.uint8)
    dash[13:15, 4:24] = 255  # a digit's height is its size; a dash has almost none
    mask = stroke_mask(dash, 40, 3)
    assert mask.max() == 1 and mask.shape[1] <= 2.5 * 40
