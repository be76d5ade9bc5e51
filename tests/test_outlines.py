"""A box drawn by hand told from digits (mnist_dvc.reading.outlines), on ink given as points."""

import numpy as np
from PIL import Image, ImageDraw
from skimage.morphology import skeletonize

from mnist_dvc.reading.outlines import SIDE_GAP, box_inside, enclosing_rectangle, within

PEN = 5


def ink(draw) -> tuple[np.ndarray, np.ndarray, float]:
    """The points, the skeleton's points and the pen of what ``draw`` draws on a blank canvas."""
    canvas = Image.new("L", (400, 300), 0)
    draw(ImageDraw.Draw(canvas))
    mask = np.asarray(canvas) > 0
    return np.argwhere(mask).astype(float), np.argwhere(skeletonize(mask)).astype(float), PEN


def test_the_smallest_rectangle_round_a_turned_square_is_the_square():
    side, turn = 100.0, np.deg2rad(30)
    square = np.array([[0, 0], [side, 0], [side, side], [0, side]]) @ np.array(
        [[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]]
    )
    corners = enclosing_rectangle(np.concatenate([square, square.mean(axis=0, keepdims=True)]))
    sides = np.linalg.norm(np.diff(np.vstack([corners, corners[:1]]), axis=0), axis=1)
    np.testing.assert_allclose(sides, side, atol=1e-6)


def test_a_box_with_open_and_overshot_corners_is_a_box_and_holds_its_middle():
    def draw(pen):
        strokes = (
            [(50, 48), (330, 52)],
            [(324, 40), (322, 250)],
            [(336, 262), (60, 258)],
            [(55, 250), (56, 62)],
        )
        for stroke in strokes:
            pen.line(stroke, fill=255, width=PEN)

    inner = box_inside(*ink(draw))
    assert inner is not None
    assert within(np.array([[150.0, 190.0]]), inner)[0]  # (row, column): the middle
    assert not within(np.array([[50.0, 190.0]]), inner)[0]  # on the top side


def test_a_flat_box_with_one_corner_drawn_inside_its_rectangle_is_a_box():
    def draw(pen):  # the top right corner lands short of where the other three sides point
        pen.line([(10, 60), (354, 78), (390, 210), (10, 210), (10, 60)], fill=255, width=PEN)

    assert box_inside(*ink(draw)) is not None


def test_a_box_whose_side_lost_a_stretch_to_a_ruling_line_is_a_box():
    # On squared paper the rulings step takes the part of a side that lies along a grid line: a gap of a
    # fifth of the bottom side is left (as in the benchmark's box_around_23), the rest runs straight, and
    # the box is in pieces.
    def draw(pen):
        pen.line([(50, 50), (330, 50), (330, 250)], fill=255, width=PEN)
        pen.line([(330, 250), (230, 250)], fill=255, width=PEN)
        pen.line([(170, 250), (50, 250), (50, 50)], fill=255, width=PEN)

    inner = box_inside(*ink(draw), gap=SIDE_GAP)
    assert inner is not None and within(np.array([[150.0, 190.0]]), inner)[0]
    assert box_inside(*ink(draw)) is None  # in one piece, a gap ends a side: a "3"'s open side has them


def test_a_box_in_pieces_whose_side_is_broken_for_almost_a_third_of_it_is_a_box():
    # A pen that skipped, or a ruling that took a longer stretch (as in the benchmark's box_around_60):
    # the left side's gap is 60 of its 200 pixels.
    def draw(pen):
        pen.line([(50, 110), (50, 50), (330, 50), (330, 250)], fill=255, width=PEN)
        pen.line([(330, 250), (50, 250), (50, 170)], fill=255, width=PEN)

    inner = box_inside(*ink(draw), gap=SIDE_GAP)
    assert inner is not None and within(np.array([[150.0, 190.0]]), inner)[0]


def test_round_and_straight_digits_are_no_box():
    def zero(pen):
        pen.ellipse((100, 40, 260, 260), outline=255, width=PEN)

    def ones(pen):  # "11": two sides of a box, no more
        pen.line([(100, 40), (100, 260)], fill=255, width=PEN)
        pen.line([(260, 40), (260, 260)], fill=255, width=PEN)

    def seven(pen):
        pen.line([(80, 40), (300, 40), (150, 260)], fill=255, width=PEN)

    for draw in (zero, ones, seven):
        assert box_inside(*ink(draw)) is None, draw.__name__


def test_no_handwritten_digit_of_many_writers_is_taken_for_a_box():
    from sklearn.datasets import load_digits

    taken = []
    digits = load_digits()
    for i, image in enumerate(digits.images):  # 1,797 digits, 8x8, enlarged as a scan would be
        big = np.asarray(Image.fromarray((image * 16).astype(np.uint8)).resize((96, 96), Image.BICUBIC)) > 100
        centre = skeletonize(big)
        pen = big.sum() / max(1, centre.sum())
        if box_inside(np.argwhere(big).astype(float), np.argwhere(centre).astype(float), pen) is not None:
            taken.append((i, int(digits.target[i])))
    assert not taken
