import json

import numpy as np
import pytest

from mnist_dvc import PipelineError
from mnist_dvc.data.dataset import (
    class_counts,
    load_prepared,
    stratified_split,
    stratified_subset,
    write_prepared,
)
from mnist_dvc.data.normalization import Normalization, fit_normalization


def test_standard_normalization_uses_training_pixels():
    images = np.array([[[0, 255]], [[255, 255]]], dtype=np.uint8)  # pixels /255: 0, 1, 1, 1
    norm = fit_normalization("standard", images)
    assert norm.mean == pytest.approx(0.75)
    assert norm.std == pytest.approx(np.sqrt(0.1875))
    out = norm.apply(images)
    assert out.dtype == np.float32
    assert out.mean() == pytest.approx(0.0, abs=1e-6) and out.std() == pytest.approx(1.0, abs=1e-6)


def test_minmax_and_seed_normalization():
    images = np.array([[[0, 51, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(
        fit_normalization("minmax", images).apply(images), [[[0.0, 0.2, 1.0]]], atol=1e-7
    )
    np.testing.assert_allclose(
        fit_normalization("notebook", images).apply(images), [[[-1.0, -0.6, 1.0]]], atol=1e-6
    )


def test_standardizing_constant_images_is_an_error():
    with pytest.raises(PipelineError, match="all one colour"):
        fit_normalization("standard", np.full((2, 28, 28), 7, np.uint8))


def test_split_is_stratified_disjoint_and_seeded():
    labels = np.repeat(np.arange(10), [100, 200, 50, 100, 100, 100, 100, 100, 100, 50])
    kept, held = stratified_split(labels, 0.2, seed=3)
    assert len(held) == 200 and len(kept) == 800
    assert not set(kept) & set(held)
    np.testing.assert_array_equal(np.bincount(labels[held]), np.bincount(labels) // 5)
    again = stratified_split(labels, 0.2, seed=3)
    np.testing.assert_array_equal(held, again[1])
    assert not np.array_equal(held, stratified_split(labels, 0.2, seed=4)[1])


def test_subset_keeps_class_proportions():
    labels = np.repeat(np.arange(10), 50)
    kept = stratified_subset(labels, 100, seed=0)
    assert np.bincount(labels[kept]).tolist() == [10] * 10
    assert len(stratified_subset(labels, None, seed=0)) == 500


def _splits(n=20):
    rng = np.random.default_rng(0)
    return {
        s: (rng.normal(size=(n, 1, 28, 28)).astype(np.float32), np.arange(n) % 10)
        for s in ("train", "val", "test")
    }


def _meta(splits):
    return {
        "normalization": {"method": "notebook", "mean": 0.5, "std": 0.5},
        "class_counts": {s: class_counts(y) for s, (_, y) in splits.items()},
    }


def test_prepared_round_trip(tmp_path):
    splits = _splits()
    write_prepared(tmp_path, splits, _meta(splits))
    data = load_prepared(tmp_path)
    for split, (x, y) in splits.items():
        np.testing.assert_array_equal(data.images[split], x)
        np.testing.assert_array_equal(data.labels[split], y)
        assert data.labels[split].dtype == np.int64
    assert (data.normalization.mean, data.normalization.std) == (0.5, 0.5)
    assert not list(tmp_path.glob("*.tmp"))


def test_prepared_data_that_disagrees_with_meta_is_rejected(tmp_path):
    splits = _splits()
    meta = _meta(splits)
    meta["class_counts"]["val"][0] += 1
    write_prepared(tmp_path, splits, meta)
    with pytest.raises(PipelineError, match="the val split does not match"):
        load_prepared(tmp_path)


def test_prepared_wrong_shape_is_rejected(tmp_path):
    splits = _splits()
    write_prepared(tmp_path, splits, _meta(splits))
    np.save(tmp_path / "test_images.npy", np.zeros((20, 28, 28), np.float32))
    with pytest.raises(PipelineError, match=r"test_images.npy: expected float32 \(N, 1, 28, 28\)"):
        load_prepared(tmp_path)
    (tmp_path / "meta.json").unlink()
    with pytest.raises(PipelineError, match=r"meta\.json: not found"):
        load_prepared(tmp_path)


def test_a_normalization_is_the_same_read_back_from_metadata_and_undoes_itself():
    images = np.array([[[0, 51, 255]]], np.uint8)
    norm = fit_normalization("standard", images)
    assert Normalization.from_meta(json.loads(json.dumps(norm.as_meta()))) == norm
    np.testing.assert_allclose(norm.to_unit(norm.apply(images)), images / 255, atol=1e-6)
    assert norm.apply(np.zeros((1, 1), np.uint8))[0, 0] == pytest.approx(norm.blank, rel=1e-6)
