"""From a photo to MNIST-style digits (mnist_dvc.reading.photo), one step at a time, on constructed
pictures."""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.transform import rotate

from mnist_dvc.reading import ink, mnist_style, not_writing, photo, rulings

PAPER, INK, RULE = 235, 40, 150


def page(
    size=(480, 640), rules=0, squares=0, paper=PAPER, rule=RULE, seed=0, noise=3.0, line=2
) -> Image.Image:
    """A grey page with optional ruling (every ``rules`` pixels) or squares, its lines ``line`` pixels
    wide, light noise."""
    h, w = size
    image = Image.new("L", (w, h), paper)
    pen = ImageDraw.Draw(image)
    for y in range(rules or h, h, rules or h):
        pen.line([(0, y), (w, y)], fill=rule, width=line)
    for step in [squares] if squares else []:
        for y in range(step, h, step):
            pen.line([(0, y), (w, y)], fill=rule, width=line)
        for x in range(step, w, step):
            pen.line([(x, 0), (x, h)], fill=rule, width=line)
    array = np.asarray(image, np.float32) + np.random.default_rng(seed).normal(0, noise, (h, w))
    return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))


def write_one(image: Image.Image, box: tuple[int, int, int, int], fill=INK, width=4) -> None:
    """A "1": one vertical stroke in the middle of ``box`` (left, top, right, bottom)."""
    x = (box[0] + box[2]) // 2
    ImageDraw.Draw(image).line([(x, box[1]), (x, box[3])], fill=fill, width=width)


def write_zero(image: Image.Image, box, fill=INK, width=4) -> None:
    ImageDraw.Draw(image).ellipse(box, outline=fill, width=width)


def gray(image: Image.Image) -> np.ndarray:
    return np.asarray(image, np.float32)


def test_a_ruling_line_across_the_page_is_removed_and_the_stroke_crossing_it_kept():
    picture = page(rules=60)
    write_zero(picture, (270, 150, 370, 330))  # crosses the rulings at y = 180, 240, 300
    strength, polarity = ink.ink_strength(ink.working_copy(gray(picture)))
    mask = ink.ink_mask(strength)
    assert (
        polarity == "dark" and mask[240, 20:200].mean() > 0.9
    )  # the ruling is ink-dark: it passes the threshold
    cleaned, _, _ = rulings.remove_rules(mask, strength)
    assert cleaned[230:250, :250].sum() == 0 and cleaned[230:250, 400:].sum() == 0  # the line is gone...
    rows = np.flatnonzero(cleaned.any(axis=1))
    assert rows.min() <= 155 and rows.max() >= 325  # ...the loop is whole, rulings crossing it or not
    assert cleaned[235:246, 268:280].any()  # where the loop crosses the line at y = 240
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_a_dim_page_with_a_lit_band_is_paper_and_a_dark_board_is_a_board():
    # White paper photographed in dim light (its median 116 of 255), a fat marker's "0", and a band of
    # the page brighter than the rest (light from a window, a fold's lit half): still ink on paper.
    dim = page(paper=115)
    ImageDraw.Draw(dim).rectangle((0, 0, 639, 150), fill=135)
    write_zero(dim, (250, 190, 390, 420), fill=60, width=30)
    assert ink.BOARD_BRIGHTNESS <= np.median(gray(dim)) < 128
    assert ink.polarity(gray(dim)) == "dark"
    found = photo.find_digits(gray(dim)).digits
    assert len(found) == 1 and _is_loop(found[0])
    board = page(paper=60)
    write_zero(board, (250, 190, 390, 420), fill=200, width=12)
    assert ink.polarity(gray(board)) == "light"


def test_a_stroke_written_along_a_ruling_line_stays_and_the_rest_of_the_line_goes():
    picture = page(rules=60)
    pen = ImageDraw.Draw(picture)
    pen.line([(250, 180), (400, 180)], fill=INK, width=4)  # a "7" whose bar lies on the ruling at y = 180
    pen.line([(400, 180), (330, 390)], fill=INK, width=4)
    strength, _ = ink.ink_strength(ink.working_copy(gray(picture)))
    cleaned, _, _ = rulings.remove_rules(ink.ink_mask(strength), strength)
    assert cleaned[170:191, 255:395].any(axis=0).all()  # the bar, every column of it...
    assert cleaned[170:191, :240].sum() == 0 and cleaned[170:191, 410:].sum() == 0  # ...and none of the line
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 1
    top = np.flatnonzero(found[0].max(axis=1) > 0.5)[0]
    assert np.ptp(np.flatnonzero(found[0][top : top + 3].max(axis=0) > 0.5)) >= 10  # drawn with its bar


def test_a_tilted_photo_of_squared_paper_is_straightened_and_its_grid_removed():
    picture = page(squares=40, rule=170)
    write_one(picture, (300, 120, 320, 330), width=5)
    tilted = rotate(gray(picture), 4, mode="edge", preserve_range=True)
    found = photo.find_digits(tilted).digits
    assert len(found) == 1
    rows, cols = np.nonzero(found[0] > 0.5)
    assert rows.max() - rows.min() >= 18 and cols.max() - cols.min() <= 6  # an upright "1", no grid left


def test_chalk_on_a_dark_board_comes_out_white_on_black():
    board = page(paper=45, noise=6)
    write_zero(board, (250, 140, 380, 350), fill=215, width=9)
    found = photo.find_digits(gray(board))
    assert found.ink == "light" and len(found.digits) == 1
    digit = found.digits[0]
    assert digit[0].max() == 0 and digit.max() == pytest.approx(1, abs=0.05) and _is_loop(digit)
    # The same board read as dark ink (forced) is something else: the flag is honoured.
    assert photo.find_digits(gray(board), ink="dark").ink == "dark"


@pytest.mark.parametrize("kind", ["plain", "ruled", "squared", "board", "shadowed"])
def test_a_photo_with_nothing_written_gives_no_digit(kind):
    picture = {
        "plain": page(noise=6),
        "ruled": page(rules=35, noise=5),
        "squared": page(squares=30, rule=190),
        "board": page(paper=45, noise=8),
        "shadowed": page(noise=5),
    }[kind]
    array = gray(picture)
    if kind == "shadowed":  # a soft shadow and light falling off across the page
        ys, xs = np.mgrid[0 : array.shape[0], 0 : array.shape[1]]
        shadow = 1 - 0.3 * np.exp(-((ys - 240) ** 2 + (xs - 200) ** 2) / 2e4)
        array = array * (1 - 0.4 * xs / xs.max()) * shadow
    assert len(photo.find_digits(array).digits) == 0


def test_two_digits_side_by_side_are_read_as_two_left_to_right():
    picture = page(rules=80)
    write_one(picture, (150, 180, 170, 380))
    write_zero(picture, (260, 180, 380, 380))
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 2
    assert not _is_loop(found[0]) and _is_loop(found[1])


def test_a_line_beside_a_digit_far_taller_than_it_is_not_a_digit_of_its_number():
    picture = page()
    write_one(picture, (190, 70, 210, 390), width=3)  # a margin line's remnant, short of the edges
    write_zero(picture, (300, 250, 370, 380))  # 130 high: the line is 2.5 times that
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 1 and _is_loop(found[0])
    write_one(picture, (440, 230, 460, 400))  # a "1" a little taller than the 0 is still a digit
    assert len(photo.find_digits(gray(picture)).digits) == 2


def test_a_long_line_leaning_far_from_upright_is_not_a_one_but_a_slanted_one_is():
    # A ruler's line (or a pen lying on the page) from inside the page to its edge, leaning 50 degrees:
    # straight, 0.8 of the page's long side, one end well inside, so no rule for lines across applies.
    picture = page()
    ImageDraw.Draw(picture).line([(100, 90), (639, 540)], fill=INK, width=4)
    assert len(photo.find_digits(gray(picture)).digits) == 0
    slanted = page()  # a "1" leaning as far, as long as a digit is on such a page: still read
    ImageDraw.Draw(slanted).line([(280, 300), (430, 174)], fill=INK, width=4)
    assert len(photo.find_digits(gray(slanted)).digits) == 1
    crop = page(size=(56, 56))  # a crop (a scan's cell) that a leaning "1" fills: still read
    ImageDraw.Draw(crop).line([(10, 46), (46, 14)], fill=INK, width=3)
    assert len(photo.find_digits(gray(crop)).digits) == 1


def test_a_small_digit_on_a_large_page_is_found_and_a_speck_is_not_a_digit():
    picture = page(size=(1600, 1200), noise=2)
    write_zero(picture, (1000, 1350, 1050, 1420), width=3)
    ImageDraw.Draw(picture).ellipse((200, 200, 204, 204), fill=INK)  # a speck of dirt
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 1 and _is_loop(found[0])
    speck_only = page(size=(1600, 1200), noise=2)
    ImageDraw.Draw(speck_only).ellipse((200, 200, 206, 206), fill=INK)
    assert len(photo.find_digits(gray(speck_only)).digits) == 0


@pytest.mark.parametrize("width", [2, 6, 20])
def test_every_pen_is_redrawn_with_mnists_pen_fitted_into_20x20_and_centred(width):
    picture = page(noise=0)
    write_zero(picture, (200, 100, 330, 380), width=width)
    digit = photo.find_digits(gray(picture)).digits[0]
    rows = np.nonzero(digit > 0.05)[0]
    assert 18 <= rows.max() - rows.min() + 1 <= 21
    total = digit.sum()
    cy = (digit.sum(axis=1) * np.arange(28)).sum() / total
    cx = (digit.sum(axis=0) * np.arange(28)).sum() / total
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1  # centre of mass at the centre, as MNIST
    # MNIST's ink mass per pixel of stroke (2.85): a hairline and a marker alike.
    skeleton_px = mnist_style.stroke_skeleton(digit > 0.5).sum()
    assert 2.2 <= total / skeleton_px <= 3.4


def test_a_loop_filled_in_by_a_fat_pen_is_redrawn_as_a_loop():
    # A "9" in a fat marker: its head a solid disc (the pen closed the loop), its stem a stroke.
    nine = np.zeros((120, 80), bool)
    rows, cols = np.ogrid[:120, :80]
    nine[(rows - 32) ** 2 + (cols - 40) ** 2 <= 26**2] = True
    nine[32:115, 54:66] = True
    assert not _is_loop(nine.astype(float))  # the ink itself encloses nothing
    assert _is_loop(mnist_style.redraw(nine))  # the rim of its head, round a hole


def test_a_fat_digits_short_strokes_are_kept():
    # A fat stem landing on a base that reaches 14 px beyond it on each side (the foot of a fat "2" or
    # "1"): the base's arms are short beside the pen's width, but they are writing.
    foot = np.zeros((100, 120), bool)
    foot[10:90, 50:70] = True
    foot[72:90, 36:84] = True
    cols = np.nonzero(mnist_style.stroke_skeleton(foot))[1]
    assert np.ptp(cols) >= 28  # the skeleton runs along the base, not only down the stem


def _is_loop(digit: np.ndarray) -> bool:
    """Whether the digit's strokes enclose background (a "0"): more than one background region."""
    from skimage.measure import label

    return label(digit < 0.3, connectivity=1).max() > 1


@pytest.mark.parametrize(
    "name", ["1x1", "1x500", "3x3", "black", "white", "noise", "checker", "stripes", "half", "grid"]
)
def test_odd_pictures_give_no_digit_and_never_fail(name):
    rng = np.random.default_rng(0)
    rows, cols = np.indices((200, 200))
    picture = {
        "1x1": np.zeros((1, 1)),
        "1x500": rng.random((1, 500)) * 255,
        "3x3": rng.random((3, 3)) * 255,
        "black": np.zeros((100, 100)),
        "white": np.full((100, 100), 255.0),
        "noise": rng.random((300, 400)) * 255,
        "checker": (rows + cols) % 2 * 255.0,
        "stripes": (rows % 20 < 2) * 200.0,
        "half": (rows < 100) * 255.0,
        "grid": np.where((rows % 40 < 2) | (cols % 40 < 2), 150.0, 240.0),
    }[name]
    assert photo.find_digits(picture.astype(np.float32)).digits.shape == (0, 28, 28)


def test_a_dot_of_chalk_dust_below_a_digit_is_not_part_of_it():
    board = page(paper=45, noise=4)
    write_zero(board, (250, 100, 360, 300), fill=215, width=9)
    clean = photo.find_digits(gray(board)).digits
    ImageDraw.Draw(board).ellipse((290, 315, 306, 329), fill=215)  # a dot 15 pixels below the loop
    dusty = photo.find_digits(gray(board)).digits
    assert len(clean) == len(dusty) == 1
    assert np.abs(dusty[0] - clean[0]).max() < 0.05  # the same 28x28 digit: the dot was left out


def test_a_thin_stroke_on_spotless_paper_saved_as_jpeg_is_found(tmp_path):
    # No noise: the paper's spread is nil, and JPEG's faint ringing around the stroke must not set the
    # standard for ink.
    picture = page(noise=0.0, paper=243)
    ImageDraw.Draw(picture).arc((280, 120, 380, 330), 200, 520, fill=70, width=2)
    picture.save(tmp_path / "scan.jpg", quality=75)
    found = photo.find_digits(gray(Image.open(tmp_path / "scan.jpg")))
    assert len(found.digits) == 1


def test_a_faint_pencil_stroke_on_a_noisy_page_is_found():
    # The paper estimate rides on the noise's peaks, so bare noisy paper reads above zero: the ink's
    # contrast is measured from the paper's own level, not from zero; and the faint grid, more pixels
    # than the digit, must not make the writing count as too faint to be ink.
    picture = page(squares=70, rule=205, noise=7.0)  # faint squares, outnumbering the writing
    write_zero(picture, (270, 150, 360, 320), fill=160, width=3)
    found = photo.find_digits(gray(picture))
    assert len(found.digits) == 1 and _is_loop(found.digits[0])


def test_a_mark_at_the_pictures_edge_below_a_digit_is_not_part_of_it():
    picture = page(size=(400, 640))
    write_one(picture, (300, 200, 320, 360), width=6)
    ImageDraw.Draw(picture).ellipse((283, 385, 337, 420), fill=INK)  # cut by the bottom edge
    digit = photo.find_digits(gray(picture)).digits[0]
    cols = np.flatnonzero((digit > 0.5).any(axis=0))
    assert cols.max() - cols.min() <= 3  # the "1" alone, not widened by the mark


def test_a_pencil_digit_on_paper_that_a_dense_grid_covers_is_found_and_the_empty_page_is_not():
    # The grid is most of the page, so the picture's median and spread are the grid's: measured from
    # them, the noise floor rises over the pencil (which was then no ink at all, and gave "-").
    picture = page(squares=12, rule=200, line=3)  # its lines cover more than half of it
    assert len(photo.find_digits(gray(picture)).digits) == 0
    write_zero(picture, (260, 140, 370, 330), fill=150, width=5)  # in pencil grey
    found = photo.find_digits(gray(picture)).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_a_ruled_page_in_perspective_has_its_converging_rulings_removed():
    from skimage.transform import ProjectiveTransform, warp

    from mnist_dvc.reading.converging import levelling

    sheet = page(size=(960, 1280), rules=24, rule=205)
    write_zero(sheet, (600, 400, 680, 560), width=6)
    # Seen at an angle, the part of the page in the frame: its rulings meet far to the left (x' = -3000).
    shift_out = np.array([[1.0, 0, -320], [0, 1.0, -240], [0, 0, 1]])
    shift_in = np.array([[1.0, 0, 640], [0, 1.0, 480], [0, 0, 1]])
    view = shift_in @ np.array([[1.0, 0, 0], [0, 1.0, 0], [1 / 3000, 0, 1]]) @ shift_out
    photo_ = warp(gray(sheet), ProjectiveTransform(matrix=view), output_shape=(480, 640), preserve_range=True)
    # Lines drawn through one vanishing point come out level, one row each.
    lines = Image.new("L", (640, 480), 0)
    for row in range(30, 480, 30):
        ImageDraw.Draw(lines).line([(0, row), (639, row + (row - 240) * 639 / 3000)], fill=255, width=2)
    matrix = levelling(np.asarray(lines) > 0, 10.0)
    ends = np.array([[0, 90, 1], [639, 90 + (90 - 240) * 639 / 3000, 1]]) @ matrix.T
    assert abs(ends[0, 1] / ends[0, 2] - ends[1, 1] / ends[1, 2]) < 1.0
    assert levelling(np.asarray(page(rules=30)) < 200, 10.0) is None  # parallel rulings: nothing to do
    found = photo.find_digits(photo_).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_light_lying_along_the_pictures_edge_is_not_a_digit_but_a_digit_cut_by_the_edge_is():
    # A blank board whose left edge catches the light: a bright band along the edge, 0.2 of the
    # picture's height long, wider at its middle (read as a "1" before ALONG_EDGE).
    board = gray(page(paper=45, noise=6))
    rows = np.arange(200, 300)
    for row in rows:
        board[row, : 6 + int(12 * np.sin(np.pi * (row - 200) / 100))] = 200
    assert len(photo.find_digits(board).digits) == 0
    # A "0" half past the left edge touches it at its two strokes only: still writing.
    cut_zero = page(paper=45, noise=6)
    write_zero(cut_zero, (-60, 150, 100, 350), fill=215, width=9)
    write_one(cut_zero, (300, 150, 330, 350), fill=215, width=9)
    assert len(photo.find_digits(gray(cut_zero)).digits) == 2
    # A "1" running off the bottom edge touches it across all of its width, but reaches in far farther.
    cut_one = page(paper=45, noise=6)
    write_one(cut_one, (300, 330, 320, 480), fill=215, width=9)
    assert len(photo.find_digits(gray(cut_one)).digits) == 1


def test_a_piece_far_fainter_than_the_writing_is_shading_not_a_digit():
    from skimage.draw import circle_perimeter

    mask, strength = np.zeros((200, 300), bool), np.zeros((200, 300))
    rows, cols = np.concatenate([circle_perimeter(100, 200, r) for r in range(38, 43)], axis=1)
    mask[rows, cols], strength[rows, cols] = True, 100.0  # a written "0", a pen 5 pixels wide
    band = np.s_[20:180, 40:80]  # a fold's shaded band beside it, larger: strong at the crease, fading
    mask[band], strength[band] = True, np.linspace(45, 20, 40)[None, :]
    kept = not_writing.without_faint(mask, strength)
    assert kept[rows, cols].all() and not kept[band].any()
    strength[band] = np.linspace(70, 20, 40)[None, :]  # as strong as a lighter stroke of the pen: kept
    assert not_writing.without_faint(mask, strength)[band].any()
    # A speck darker than any ink does not make the writing faint; a faint piece alone is the writing.
    speck = mask.copy()
    speck[5:7, 5:7], strength[5:7, 5:7] = True, 255.0
    assert not_writing.without_faint(speck, strength)[rows, cols].all()
    alone = np.zeros_like(mask)
    alone[band] = True
    assert not_writing.without_faint(alone, strength).sum() == alone.sum()
