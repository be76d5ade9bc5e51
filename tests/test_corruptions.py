"""The batched warps (augmentation and corruptions) and every corruption's severity scale."""

import itertools

import numpy as np
import pytest

from mnist_dvc.evaluation.corruptions import CORRUPTIONS, shift
from mnist_dvc.models.affine import (
    MAX_DEGREES,
    MAX_SCALE,
    MAX_SHIFT_PX,
    Transforms,
    random_transforms,
    warp,
    warp_all,
)
from mnist_dvc.models.photo_effects import SEVERITIES, random_corruptions
from tests.fixtures import synthetic_digits


def _digits(n=24) -> np.ndarray:
    x, _ = synthetic_digits(n, 3)
    return (x / 255.0).astype(np.float32)


def _transforms(n, degrees=0.0, scale=1.0, dx=0.0, dy=0.0) -> Transforms:
    return Transforms(*(np.full(n, float(v)) for v in (degrees, scale, dx, dy)))


def test_identity_warp_returns_the_images_exactly():
    x = _digits()
    np.testing.assert_array_equal(warp(x, _transforms(len(x))), x)


@pytest.mark.parametrize(("dx", "dy"), [(2, -1), (6, 6), (-3, 0), (0, 30)])
def test_integer_shift_equals_np_roll_on_a_padded_digit(dx, dy):
    x = _digits()
    margin = 30
    padded = np.pad(x, ((0, 0), (margin, margin), (margin, margin)))
    expected = np.roll(padded, (dy, dx), axis=(1, 2))[:, margin:-margin, margin:-margin]
    np.testing.assert_array_equal(warp(x, _transforms(len(x), dx=dx, dy=dy)), expected)


def test_quarter_turn_is_rot90_and_scale_shrinks_about_the_centre():
    x = _digits()
    np.testing.assert_allclose(warp(x, _transforms(len(x), degrees=90)), np.rot90(x, 1, (1, 2)), atol=1e-5)
    square = np.zeros((1, 28, 28), np.float32)
    square[0, 4:24, 4:24] = 1
    half = warp(square, _transforms(1, scale=0.5))[0]
    assert half[14, 14] == 1 and half[5, 5] == 0 and 80 <= half.sum() <= 120  # a 10x10 square


def test_outside_pixels_get_the_background():
    x = np.full((2, 28, 28), -0.4, np.float32)
    out = warp(x, _transforms(2, dx=5, degrees=20), background=-0.4)
    np.testing.assert_allclose(out, -0.4, atol=1e-6)


def test_random_transforms_stay_within_the_strength_and_differ_per_image():
    t = random_transforms(1000, 0.5, np.random.default_rng(0))
    assert np.abs(t.degrees).max() <= 0.5 * MAX_DEGREES and np.abs(t.degrees).max() > 0.45 * MAX_DEGREES
    assert np.abs(t.scale - 1).max() <= 0.5 * MAX_SCALE
    assert np.abs(t.dx).max() <= 0.5 * MAX_SHIFT_PX and len(set(t.dx.tolist())) == 1000


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_severity_zero_is_the_identity(name):
    x = _digits()
    out = CORRUPTIONS[name](x, 0)
    np.testing.assert_array_equal(out, x)
    assert out is not x


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_change_grows_with_severity_and_stays_in_range(name):
    x = _digits()
    changes = []
    for severity in range(SEVERITIES + 1):
        out = CORRUPTIONS[name](x, severity)
        assert out.shape == x.shape and out.dtype == x.dtype
        assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
        changes.append(float(np.abs(out - x).mean()))
    assert all(a < b for a, b in itertools.pairwise(changes)), changes


def test_corruptions_are_deterministic_and_refuse_unknown_severities():
    x = _digits()
    for name, corrupt in CORRUPTIONS.items():
        np.testing.assert_array_equal(corrupt(x, 3), corrupt(x, 3), err_msg=name)
    with pytest.raises(ValueError, match=r"severity must be 0\.\.5"):
        shift(x, 6)


def test_shift_moves_each_digit_a_whole_number_of_pixels_in_turn():
    x = _digits(4)
    out = shift(x, SEVERITIES)  # 6 pixels: right, down, left, up
    margin = 10
    padded = np.pad(x, ((0, 0), (margin, margin), (margin, margin)))
    for i, (dy, dx) in enumerate([(0, 6), (6, 0), (0, -6), (-6, 0)]):
        expected = np.roll(padded[i], (dy, dx), axis=(0, 1))[margin:-margin, margin:-margin]
        np.testing.assert_array_equal(out[i], expected)


def test_warp_all_in_threaded_chunks_equals_one_warp():
    x = _digits(50)
    t = random_transforms(50, 1.0, np.random.default_rng(5))
    whole = warp(x, t, background=-0.4)
    np.testing.assert_array_equal(warp_all(x, t, -0.4, threads=2, chunk=7), whole)


def test_random_corruptions_change_the_chosen_share_with_the_named_corruptions_only():
    x = _digits(600)
    out = random_corruptions(x, {"blur": 3, "noise": 0}, 0.5, np.random.default_rng(0))
    changed = np.flatnonzero((out != x).any(axis=(1, 2)))
    assert 0.4 < len(changed) / len(x) < 0.6
    blurred = {s: CORRUPTIONS["blur"](x, s) for s in (1, 2, 3)}
    for i in changed:  # each one is the blur of severity 1, 2 or 3 of its own image, and nothing else
        assert any(np.allclose(out[i], blurred[s][i], atol=1e-6) for s in blurred)
    severities = [next(s for s in blurred if np.allclose(out[i], blurred[s][i], atol=1e-6)) for i in changed]
    assert set(severities) == {1, 2, 3}
    np.testing.assert_array_equal(
        out, random_corruptions(x, {"blur": 3, "noise": 0}, 0.5, np.random.default_rng(0))
    )


def test_no_training_corruption_returns_the_images_and_draws_nothing():
    x, rng = _digits(), np.random.default_rng(0)
    state = rng.bit_generator.state
    assert random_corruptions(x, {"noise": 0, "blur": 0}, 0.5, rng) is x
    assert random_corruptions(x, {"noise": 5}, 0.0, rng) is x
    assert rng.bit_generator.state == state  # so turning corruptions off changes nothing else in training


def test_training_noise_is_fresh_each_time_and_evaluation_noise_fixed():
    x = _digits()
    np.testing.assert_array_equal(CORRUPTIONS["noise"](x, 3), CORRUPTIONS["noise"](x, 3))
    rng = np.random.default_rng(1)
    first, second = (CORRUPTIONS["noise"](x, 3, rng=rng) for _ in range(2))
    assert not np.array_equal(first, second) and first.min() >= 0 and first.max() <= 1
