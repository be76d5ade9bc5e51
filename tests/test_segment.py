"""Touching digits cut apart where a judge reads them best (mnist_dvc.reading.segment), on constructed
pictures: the judge here knows two shapes, each as the input path draws it alone, and reads anything else as
nothing in particular."""

import numpy as np
from PIL import Image, ImageDraw
from skimage.measure import label as components

from mnist_dvc.reading import photo, segment

INK = (25, 25, 30)
JOINED = (("0", 110), ("-", 215), ("7", 250))  # a 0 joined to a 7 by a stroke from its side


def page(*shapes, slant: float = 0.0) -> np.ndarray:
    """A white 240x420 page with ``shapes`` ("0" an oval at x, "7" a bar and a stroke down from its right
    end at x, "1" a stroke down at x starting a little lower, "-" a joining stroke from x) drawn about 140
    pixels tall, their tops moved right by ``slant`` times their height."""
    picture = Image.new("RGB", (420, 240), (245, 244, 240))
    draw = ImageDraw.Draw(picture)
    for kind, x in shapes:
        if kind == "0":
            draw.ellipse((x, 50, x + 110, 190), outline=INK, width=7)
        elif kind == "7":
            draw.line((x, 50, x + 70, 50, x + 25, 190), fill=INK, width=7, joint="curve")
        elif kind == "1":
            draw.line((x, 72, x, 190), fill=INK, width=7)
        else:  # a stroke that joins two digits, as joined-up writing does
            draw.line((x, 140, x + 80, 140), fill=INK, width=7)
    if slant:
        picture = picture.transform(picture.size, Image.Transform.AFFINE, (1, slant, -120 * slant, 0, 1, 0),
                                    fillcolor=(245, 244, 240))  # fmt: skip
    return np.asarray(picture, np.float32)


def template_judge(templates: dict[int, np.ndarray]):
    """Log-probabilities over ten classes: a class of ``templates`` scores by its likeness to the digit,
    every other class a constant, so that what matches neither template is read unsurely."""

    def judge(digits: np.ndarray) -> np.ndarray:
        scores = np.full((len(digits), 10), -4.0)
        for label, template in templates.items():
            scores[:, label] = -40 * ((digits - template) ** 2).mean(axis=(1, 2))
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))

    return judge


def alone(kind: str, slant: float = 0.0) -> np.ndarray:
    (digit,) = photo.find_digits(page((kind, 170), slant=slant)).digits
    return digit


def nearest(digit: np.ndarray, templates: dict[int, np.ndarray]) -> int:
    return min(templates, key=lambda label: ((digit - templates[label]) ** 2).sum())


def test_a_zero_joined_to_a_seven_is_cut_into_the_two_where_the_judge_reads_them_best():
    templates = {0: alone("0"), 7: alone("7")}
    touching = page(*JOINED)
    assert components(touching.mean(axis=2) < 128).max() == 1  # one piece of ink: no gap says where to cut
    digits = photo.find_digits(touching, judge=template_judge(templates)).digits
    assert [nearest(d, templates) for d in digits] == [0, 7]


def test_slanted_joined_digits_are_cut_along_their_slant():
    templates = {0: alone("0", slant=0.3), 7: alone("7", slant=0.3)}
    digits = photo.find_digits(page(*JOINED, slant=0.3), judge=template_judge(templates)).digits
    assert [nearest(d, templates) for d in digits] == [0, 7]


def test_a_one_written_under_a_sevens_bar_comes_apart_from_it_along_its_own_strokes():
    # Apart, but within the 7's x: no cut in x separates them, and together they are narrower than
    # two digits. Each is narrower than a digit, so each goes whole with the part that holds its middle.
    templates = {1: alone("1"), 7: alone("7")}
    seventeen = page(("1", 150), ("7", 150))
    assert components(seventeen.mean(axis=2) < 128).max() == 2
    digits = photo.find_digits(seventeen, judge=template_judge(templates)).digits
    assert [nearest(d, templates) for d in digits] == [1, 7]


def test_a_digit_the_judge_reads_whole_stays_whole():
    templates = {0: alone("0"), 7: alone("7")}
    assert len(photo.find_digits(page(("0", 170)), judge=template_judge(templates)).digits) == 1


def test_the_slant_is_measured_from_the_ink():
    upright = np.zeros((50, 30), bool)
    upright[5:45, 10:14] = True
    leaning = np.zeros((50, 60), bool)
    for row in range(5, 45):
        leaning[row, 30 + (45 - row) // 2 : 34 + (45 - row) // 2] = True  # the top half a height right
    for crop in (upright, leaning):
        ys, xs = np.nonzero(crop)
        assert np.ptp(segment.unslanted_x(crop)[ys, xs]) <= 5  # a bar, whatever its slant, is one column
