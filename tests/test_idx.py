import gzip

import numpy as np
import pytest

from mnist_dvc.data.idx import IdxFormatError, encode_idx, read_images, read_labels, read_pair


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_round_trip(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28).astype(np.uint8)
    labels = np.array([0, 9, 4], dtype=np.uint8)
    x, y = read_pair(_write(tmp_path, "x", encode_idx(images)), _write(tmp_path, "y", encode_idx(labels)))
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x00", "too short for an IDX header"),
        (gzip.compress(encode_idx(np.zeros((2, 28, 28), np.uint8)))[:-9], "a damaged gzip file"),
        (encode_idx(np.zeros(5, np.uint8)), "bad magic number"),  # a label file given as images
        (bytes([0, 0, 0x0D, 3]) + np.array([1, 28, 28], ">u4").tobytes() + bytes(4 * 784), "bad magic"),
        (bytes([0, 0, 8, 3]) + np.array([1, 28], ">u4").tobytes(), "too short for its 3 dimension sizes"),
        (encode_idx(np.zeros((2, 28, 28), np.uint8))[:-1], "file length 1583 does not match its header"),
        (encode_idx(np.zeros((2, 28, 28), np.uint8)) + b"\x00", "does not match its header"),
        (encode_idx(np.zeros((2, 56, 14), np.uint8)), "images are 56x14, expected 28x28"),
    ],
)
def test_malformed_image_files_are_rejected(tmp_path, data, message):
    path = _write(tmp_path, "images", data)
    with pytest.raises(IdxFormatError, match=message) as err:
        read_images(path)
    assert str(path) in str(err.value)


def test_label_out_of_range_is_rejected(tmp_path):
    path = _write(tmp_path, "labels", encode_idx(np.array([1, 2, 200, 3], np.uint8)))
    with pytest.raises(IdxFormatError, match=r"1 label\(s\) outside 0..9, first at index 2 \(value 200\)"):
        read_labels(path)


def test_image_and_label_counts_must_agree(tmp_path):
    x = _write(tmp_path, "x", encode_idx(np.zeros((3, 28, 28), np.uint8)))
    y = _write(tmp_path, "y", encode_idx(np.zeros(4, np.uint8)))
    with pytest.raises(IdxFormatError, match=r"holds 3 images but .* holds 4 labels"):
        read_pair(x, y)


def test_empty_files_are_rejected(tmp_path):
    x = _write(tmp_path, "x", encode_idx(np.zeros((0, 28, 28), np.uint8)))
    y = _write(tmp_path, "y", encode_idx(np.zeros(0, np.uint8)))
    with pytest.raises(IdxFormatError, match="holds no images"):
        read_pair(x, y)


def test_gzip_compressed_idx_reads_like_the_raw_file(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    (tmp_path / "images.gz").write_bytes(gzip.compress(encode_idx(images)))
    assert np.array_equal(read_images(tmp_path / "images.gz"), images)
