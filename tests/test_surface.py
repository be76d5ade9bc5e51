"""The written-on surface found in a photo (mnist_dvc.reading.surface) and what is not writing, on constructed
pictures: a sheet or a note on a desk, in perspective, a tight crop, boxes, underlines, touching digits."""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.color import rgb2lab
from skimage.transform import ProjectiveTransform, warp

from mnist_dvc.reading import mnist_style, photo, surface
from mnist_dvc.reading.digits import read_digits
from mnist_dvc.reading.flatten import flatten
from tests.test_photo import _is_loop

SHEET = (300, 220)  # height, width of the sheet before it is laid on the desk
TILTED = np.array([[215.0, 95.0], [430.0, 70.0], [470.0, 380.0], [190.0, 395.0]])  # x, y, clockwise


def sheet(colour=(240, 238, 232), ink=(30, 30, 40), write=True) -> Image.Image:
    """A sheet with a "0" written in the middle (or nothing)."""
    page = Image.new("RGB", SHEET[::-1], colour)
    if write:
        ImageDraw.Draw(page).ellipse((70, 90, 150, 210), outline=ink, width=6)
    return page


def on_desk(page: Image.Image, corners=TILTED, desk=(95, 65, 40), seed=0) -> np.ndarray:
    """The page laid on a wooden desk (grain, a soft shadow, sensor noise), its corners at ``corners``:
    a 640x480 phone photo, RGB on 0-255."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    ys, xs = np.mgrid[0:h, 0:w]
    grain = 14 * np.sin(xs / 4.0 + 3 * np.sin(ys / 40.0)) + rng.normal(0, 4, (h, w))
    photo_ = np.clip(np.asarray(desk, np.float32) + grain[..., None], 0, 255)
    ph, pw = SHEET
    source = np.array([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]], float)
    to_sheet = ProjectiveTransform.from_estimate(corners, source)  # photo (x, y) -> sheet (x, y)
    laid = warp(
        np.asarray(page, np.float32), to_sheet, output_shape=(h, w), order=1, cval=-1, preserve_range=True
    )
    inside = laid[..., 0] >= 0
    shadow = np.roll(inside, (6, 5), axis=(0, 1)) & ~inside
    photo_[shadow] *= 0.6
    photo_[inside] = laid[inside]
    return np.clip(photo_ + rng.normal(0, 3, photo_.shape), 0, 255).astype(np.float32)


def test_a_sheet_on_a_dark_desk_gives_its_digit():
    found = photo.find_digits(on_desk(sheet())).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_the_same_sheet_empty_gives_no_digit():
    assert len(photo.find_digits(on_desk(sheet(write=False))).digits) == 0


def test_a_desk_alone_gives_no_digit():
    desk = on_desk(sheet(write=False), corners=TILTED + 2000)  # the sheet laid far outside the frame
    assert len(photo.find_digits(desk).digits) == 0


def test_an_empty_sheets_corner_on_a_desk_that_fills_the_frame_gives_no_digit():
    # Only a corner of the sheet shows, at the top left: the desk fills 90% of the frame, and the
    # sheet's edges, straight, are not writing.
    corners = np.array([[-250.0, -180.0], [160.0, -240.0], [210.0, 90.0], [-200.0, 150.0]])
    assert len(photo.find_digits(on_desk(sheet(write=False), corners=corners)).digits) == 0


def test_a_page_that_fills_the_frame_but_for_a_strip_of_desk_gives_its_digit():
    page = sheet(write=False)
    ImageDraw.Draw(page).ellipse((90, 110, 135, 175), outline=(30, 30, 40), width=3)
    corners = np.array([[-60.0, -40.0], [560.0, -30.0], [575.0, 520.0], [-50.0, 530.0]])  # desk at right
    found = photo.find_digits(on_desk(page, corners=corners)).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_a_sheet_with_a_digit_in_a_fat_marker_gives_its_digit():
    # Bold enough to be a region of its own in the colour segmentation, the writing is no page that the
    # sheet lies around: the sheet is still the surface, and its edges are not read.
    page = sheet(write=False)
    ImageDraw.Draw(page).ellipse((30, 50, 190, 250), outline=(20, 20, 25), width=40)
    found = photo.find_digits(on_desk(page, desk=(150, 152, 156))).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_a_yellow_note_with_blue_ink_gives_its_digit():
    note = sheet(colour=(250, 226, 95), ink=(35, 55, 165))
    found = photo.find_digits(on_desk(note, desk=(120, 122, 128))).digits
    assert len(found) == 1 and _is_loop(found[0])


def test_a_page_in_perspective_is_found_at_its_corners_and_warped_flat():
    picture = on_desk(sheet())
    found = surface.find_surface(picture)
    assert found is not None and found.corners is not None
    assert np.abs(found.corners - TILTED).max() <= 3.0  # pixels, clockwise from the top left
    flat, inside = flatten(picture, found)
    # Flat: the written "0" (a circle's box on the sheet, 80x120) keeps its proportions.
    rows, cols = np.nonzero((flat.mean(axis=2) < 120) & inside)
    assert 1.3 < np.ptp(rows) / np.ptp(cols) < 1.7


def test_a_small_note_far_off_in_the_frame_is_found_at_its_corners_and_read():
    # A blue note about 100 pixels across on a grey desk, in a 640x480 photo: 30 pixels of the small copy
    # that the surface is looked for in, too coarse for its corners. Looked at again in a crop around it,
    # it is a sheet on a desk like any other.
    corners = np.array([[400.0, 300.0], [497.0, 287.0], [510.0, 420.0], [411.0, 431.0]])
    picture = on_desk(sheet(colour=(150, 190, 230), ink=(35, 55, 165)), corners=corners, desk=(128, 128, 128))
    found = surface.find_surface(picture)
    assert found is not None and found.mask.mean() < surface.SMALL_SURFACE
    assert found.corners is not None and np.abs(found.corners - corners).max() <= 3.0
    (digit,) = photo.find_digits(picture).digits
    assert _is_loop(digit)


def test_both_halves_of_a_folded_sheet_are_one_surface():
    page = np.asarray(sheet(), np.float32).copy()
    page[:, : SHEET[1] // 2 - 20] *= 0.82  # the half left of a crease catches less light
    page[:, SHEET[1] // 2 - 21] *= 0.8  # the crease
    picture = on_desk(Image.fromarray(page.astype(np.uint8)))
    found = surface.find_surface(picture)
    assert found is not None and found.corners is not None
    np.testing.assert_allclose(found.corners, TILTED, atol=8)  # the whole sheet, not its lighter half
    (digit,) = photo.find_digits(picture).digits
    assert _is_loop(digit)


def test_a_folded_sheet_whose_shaded_half_looks_like_the_grey_desk_is_one_surface():
    # The shaded half is within SAME_COLOUR of the grey desk, the lit half is not (it is the shaded one's
    # other side of a fold). Joined link by link, desk and page became one material: no sheet was found.
    page = np.asarray(sheet(), np.float32).copy()
    page[:, : SHEET[1] // 2] *= 0.82
    picture = on_desk(Image.fromarray(page.astype(np.uint8)), desk=(168, 168, 170))
    lit, shaded, desk = (
        rgb2lab(np.array([[c]]) / 255)[0, 0] for c in ([240, 238, 232], [197, 195, 190], [168, 168, 170])
    )
    assert np.linalg.norm(shaded - desk) < surface.SAME_COLOUR < np.linalg.norm(lit - desk)
    found = surface.find_surface(picture)
    assert found is not None and found.corners is not None
    np.testing.assert_allclose(found.corners, TILTED, atol=8)
    (digit,) = photo.find_digits(picture).digits
    assert _is_loop(digit)


def test_a_long_1_written_beside_the_sheets_edge_is_writing():
    # Both its ends are near the sheet's right edge, short of its corners: it runs along the edge, not
    # across the sheet as a crease or an edge does (it was dropped as one, so no digit was found).
    page = sheet(write=False)
    ImageDraw.Draw(page).line([(197, 40), (200, 225)], fill=(30, 30, 40), width=6)
    (digit,) = photo.find_digits(on_desk(page)).digits
    rows, cols = np.nonzero(digit > 0.5)
    assert np.ptp(rows) >= 18 and np.ptp(cols) <= 6  # an upright "1"


def test_a_page_that_fills_the_frame_is_left_as_it_is():
    page = np.asarray(sheet().resize((640, 480)), np.float32)
    assert surface.find_surface(page) is None


def test_a_page_whose_light_fades_across_a_ruling_line_is_one_page():
    # Felzenszwalb cuts this page at a ruling line into a lit part and a shaded one, whose mean colours
    # differ; where they meet they are the same colour, so they are one material and the page fills the
    # frame (taken for a sheet, its lit part cut the "1" written across the line in two).
    h, w = 480, 640
    page = Image.new("RGB", (w, h), (250, 248, 240))
    pen = ImageDraw.Draw(page)
    for y in (90, 190, 290, 390):
        pen.line([(0, y), (w, y + 6)], fill=(120, 150, 210), width=2)
    pen.line([(330, 240), (300, 350)], fill=(30, 30, 30), width=14)
    light = np.linspace(1.0, 0.5, h)[:, None, None]
    noise = np.random.default_rng(0).normal(0, 3, (h, w, 3))
    faded = np.clip(np.asarray(page, np.float32) * light + noise, 0, 255).astype(np.float32)
    assert surface.find_surface(faded) is None


def test_a_wide_digit_with_a_long_bar_is_not_cut_into_digits():
    # A "2" whose base runs far to the right is wider than touching digits are; its parts at the deepest
    # valley would be its top and a flat bar, neither of them as tall as a digit.
    two = photo.find_digits(page_with(lambda pen: pen.line(
        [(150, 200), (190, 150), (240, 150), (260, 200), (180, 330), (520, 330)], fill=40, width=8
    ))).digits  # fmt: skip
    assert len(two) == 1


def test_a_hairline_digit_near_the_edge_of_a_photo_is_redrawn_like_one_in_the_middle():
    def zero_at(top):
        return photo.find_digits(
            page_with(lambda pen: pen.ellipse((280, top, 360, top + 200), outline=40, width=2))
        )

    middle, edge = zero_at(140).digits, zero_at(270).digits  # the second ends 10 pixels from the bottom
    assert len(middle) == len(edge) == 1 and _is_loop(edge[0])
    assert edge[0].sum() > 0.8 * middle[0].sum()  # MNIST's pen, not the hairline's faint shades


def test_a_digit_cropped_tight_is_read_whole(tmp_path):
    # A "0" whose strokes run into all four edges of a small scan, and a "1" from top to bottom.
    zero = Image.new("L", (96, 96), 255)
    ImageDraw.Draw(zero).ellipse((4, -4, 92, 100), outline=0, width=16)
    one = Image.new("L", (96, 96), 255)
    ImageDraw.Draw(one).line([(48, -2), (44, 98)], fill=0, width=14)
    zero.save(tmp_path / "zero.png")
    one.save(tmp_path / "one.png")
    (found,) = read_digits(tmp_path / "zero.png").images
    assert _is_loop(found)
    (found,) = read_digits(tmp_path / "one.png").images
    rows, cols = np.nonzero(found > 0.5)
    assert np.ptp(rows) >= 18 and np.ptp(cols) <= 8  # the whole stroke, upright


def test_a_blurred_small_scan_is_read_from_all_of_its_shades(tmp_path):
    # An 8x8 scan of a "9" (0-16, as scikit-learn's digits) enlarged to 96x96: its strokes are a third of
    # the picture wide and blurred. It is read as MNIST was made from its scans: the ink against the one
    # paper, every shade above SCAN_HALO of the darkest (its blur's halo left out), cropped, fitted into
    # 20x20 and centred by mass.
    nine = np.array([[0, 2, 12, 16, 14, 3, 0, 0], [0, 11, 16, 13, 16, 12, 0, 0], [0, 14, 12, 0, 9, 16, 2, 0],
                     [0, 10, 16, 15, 16, 16, 3, 0], [0, 1, 8, 10, 13, 16, 4, 0], [0, 0, 0, 0, 10, 15, 1, 0],
                     [0, 0, 2, 9, 16, 9, 0, 0], [0, 0, 13, 16, 10, 1, 0, 0]])  # fmt: skip
    scan = Image.fromarray((255 * (1 - nine / 16)).astype(np.uint8)).resize((96, 96), Image.BICUBIC)
    scan.save(tmp_path / "nine.png")
    (found,) = read_digits(tmp_path / "nine.png").images
    ink = 255 - np.asarray(scan, np.float32)
    ink = np.clip(ink / ink.max(), 0, 1)
    ink[ink < photo.SCAN_HALO] = 0
    rows, cols = np.nonzero(ink)
    ink = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    size = tuple(round(side * mnist_style.BOX / max(ink.shape)) for side in ink.shape[::-1])
    fitted = np.clip(np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS)), 0, 1)
    expected = mnist_style.centre_by_mass(fitted)
    assert np.abs(found - expected).max() < 0.1  # the loop's middle too, not only its rim


def page_with(draw) -> np.ndarray:
    page = Image.new("L", (640, 480), 235)
    draw(ImageDraw.Draw(page))
    return np.asarray(page, np.float32) + np.random.default_rng(0).normal(0, 3, (480, 640))


# A box drawn by hand in four strokes: its corners overshot (top left, bottom right) or left open.
BOX_STROKES = [
    [(190, 118), (426, 124)], [(421, 112), (418, 322)], [(430, 334), (206, 329)], [(200, 322), (201, 132)]
]  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "rectangle",
        "rectangle_wobbly",
        "long_line",
        "box_of_strokes",
        "flat_box",
        "line_across",
        "box_near_edge",
    ],
)
def test_shapes_that_are_not_writing_give_no_digit(name):
    def draw(pen):
        if name == "rectangle":
            pen.rectangle((200, 120, 420, 330), outline=40, width=5)
        elif name == "rectangle_wobbly":
            pen.line([(200, 120), (423, 124), (419, 333), (198, 328), (200, 120)], fill=40, width=5)
        elif name == "box_of_strokes":
            for stroke in BOX_STROKES:
                pen.line(stroke, fill=40, width=5)
        elif name == "flat_box":  # as wide as a number of four digits, in one stroke, a corner left open
            pen.line([(120, 200), (530, 206), (527, 290), (118, 284), (120, 218)], fill=40, width=5)
        elif name == "box_near_edge":  # as large as a tight crop's digit, close to the edge, not on it
            for stroke in (
                [(14, 16), (326, 12)],
                [(330, 18), (327, 298)],
                [(336, 303), (24, 300)],
                [(18, 294), (16, 24)],
            ):
                pen.line(stroke, fill=40, width=5)
        elif name == "line_across":  # a ruler's line from the top of the photo to its bottom, leaning
            pen.line([(250, -5), (390, 485)], fill=40, width=4)
        else:
            pen.line([(40, 250), (600, 240)], fill=40, width=4)

    assert len(photo.find_digits(page_with(draw)).digits) == 0


def test_a_box_around_a_digit_and_an_underline_are_not_part_of_it():
    boxed = photo.find_digits(page_with(lambda pen: (
        pen.rectangle((240, 110, 400, 360), outline=40, width=5),
        pen.ellipse((285, 150, 355, 320), outline=40, width=6),
    ))).digits  # fmt: skip
    assert len(boxed) == 1 and _is_loop(boxed[0])
    assert boxed[0][:3].max() < 0.1 and boxed[0][:, :3].max() < 0.1  # no corner of the box in it
    underlined = photo.find_digits(page_with(lambda pen: (
        pen.ellipse((285, 130, 355, 300), outline=40, width=6),
        pen.line([(250, 330), (400, 326)], fill=40, width=6),
    ))).digits  # fmt: skip
    assert len(underlined) == 1 and _is_loop(underlined[0])
    rows, _ = np.nonzero(underlined[0] > 0.3)
    assert np.ptp(rows) >= 17  # the loop fills the height: the underline did not shrink it


def test_a_digit_in_a_box_of_separate_strokes_is_read_without_the_box():
    def draw(pen):
        for stroke in BOX_STROKES:
            pen.line(stroke, fill=40, width=5)
        pen.ellipse((270, 150, 350, 300), outline=40, width=6)

    (found,) = photo.find_digits(page_with(draw)).digits
    assert _is_loop(found)
    assert found[:3].max() < 0.1 and found[:, :3].max() < 0.1  # no side of the box in it


def test_a_digit_written_touching_its_box_is_read_without_the_box():
    touching = photo.find_digits(page_with(lambda pen: (
        pen.rectangle((240, 110, 400, 360), outline=40, width=5),
        pen.ellipse((246, 150, 330, 330), outline=40, width=6),  # a "0" touching the box's left side
    ))).digits  # fmt: skip
    assert len(touching) == 1 and _is_loop(touching[0])
    assert touching[0][:3].max() < 0.1 and touching[0][:, :3].max() < 0.1  # no corner of the box in it


def test_a_margin_line_passing_close_to_a_digit_is_not_part_of_it():
    beside = photo.find_digits(page_with(lambda pen: (
        pen.line([(200, 2), (300, 478)], fill=40, width=4),  # from the top edge to the bottom one, leaning
        pen.ellipse((269, 160, 339, 300), outline=40, width=6),  # the line's x overlaps the loop's
    ))).digits  # fmt: skip
    assert len(beside) == 1 and _is_loop(beside[0])
    rows, _ = np.nonzero(beside[0] > 0.3)
    assert np.ptp(rows) >= 17  # the loop fills the height: the line did not shrink it


def test_a_square_eight_is_no_box_around_its_waist():
    eight = photo.find_digits(page_with(lambda pen: (
        pen.line([(262, 230), (270, 112), (372, 108), (378, 228), (262, 230)], fill=40, width=5),
        pen.line([(262, 230), (252, 352), (386, 348), (378, 228)], fill=40, width=5),
    ))).digits  # fmt: skip
    from skimage.measure import label

    assert len(eight) == 1 and label(eight[0] < 0.3, connectivity=1).max() == 3  # two loops and the outside


def test_digits_of_a_slanted_number_whose_boxes_overlap_in_x_are_read_apart():
    slanted = photo.find_digits(page_with(lambda pen: (
        pen.line([(120, 330), (190, 150), (250, 150), (175, 330), (120, 330)], fill=40, width=6),  # a "0"
        pen.line([(235, 330), (295, 150)], fill=40, width=6),  # a "1" whose box overlaps the "0"'s
        pen.line([(275, 330), (345, 150), (405, 150), (330, 330), (275, 330)], fill=40, width=6),
    ))).digits  # fmt: skip
    assert len(slanted) == 3 and [_is_loop(d) for d in slanted] == [True, False, True]


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_picture_is_read_at_its_depth(tmp_path, suffix):
    page = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(page).line([(60, 50), (140, 50), (90, 160)], fill=0, width=12)  # a "7"
    deep = Image.fromarray((np.asarray(page, np.uint16) * 257).astype(np.uint16))
    assert deep.mode.startswith("I;16")
    deep.save(tmp_path / f"seven{suffix}")
    (found,) = read_digits(tmp_path / f"seven{suffix}").images
    (reference,) = photo.find_digits(np.asarray(page, np.float32)).digits
    assert np.abs(found - reference).max() < 0.05


def test_a_turned_page_that_runs_off_the_frame_is_turned_back_so_its_number_reads_in_a_row():
    # A sheet turned 25 degrees whose top-right corner lies beyond the frame: no quadrilateral to warp,
    # but its edges give the turn. Written along it, "010" climbs at 25 degrees: read as it lies, its
    # ends would not share a row.
    page = Image.new("RGB", (360, 300), (240, 238, 232))
    draw = ImageDraw.Draw(page)
    for left in (30, 250):
        draw.ellipse((left, 110, left + 70, 210), outline=(30, 30, 40), width=6)
    draw.line((180, 110, 180, 210), fill=(30, 30, 40), width=6)
    turn = np.radians(25)
    rotation = np.array([[np.cos(turn), np.sin(turn)], [-np.sin(turn), np.cos(turn)]])  # y runs down
    corners = np.array([[0, 0], [360, 0], [360, 300], [0, 300]], float) @ rotation.T + [260, 170]
    picture = on_desk(page.resize(SHEET[::-1]), corners=corners)
    found = surface.find_surface(picture)
    assert found is not None and found.corners is None  # a corner is off the frame
    assert abs(found.turn - 25) <= 2
    digits = photo.find_digits(picture).digits
    assert [_is_loop(digit) for digit in digits] == [True, False, True]
