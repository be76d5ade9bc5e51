"""Phone-photo scenes for :mod:`bench.photos`: sheets and sticky notes lying on desks, seen in perspective,
touching and slanted numbers, whiteboards with ghosts of erased writing, coloured inks and papers, boxed and
underlined digits, folded pages, scenes with no digit, and tight scans of scikit-learn's digits.

Each generator of :data:`SCENES` takes ``(rng, mnist, i)`` - a numpy generator, the MNIST test images and
labels, and the picture's number in its set - and returns the picture and its truth (the digits written,
"" for none). Every random choice comes from ``rng``, so a seed redraws the same pictures.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image

from bench.photos import BLACK, BLUE_INK, PAPER, PENCIL, _light, _paper, _smooth_noise
from mnist_dvc.data.written import cropped, stroke_mask, written_number

# ink: colour, opacity range, pen width range as a share of the digit's height
INKS = {
    "ballpoint": (BLUE_INK, (0.8, 0.95), (0.012, 0.03)),
    "black_ballpoint": ((32, 32, 40), (0.8, 0.95), (0.012, 0.03)),
    "pencil": (PENCIL, (0.5, 0.75), (0.02, 0.04)),
    "marker": (BLACK, (0.9, 0.97), (0.06, 0.12)),
    "red_marker": ((185, 35, 45), (0.85, 0.95), (0.05, 0.1)),
    "green_marker": ((25, 120, 70), (0.85, 0.95), (0.05, 0.1)),
    "blue_marker": ((30, 60, 165), (0.85, 0.95), (0.05, 0.1)),
}
WOODS = ((176, 128, 82), (112, 72, 44), (140, 76, 50), (196, 158, 110), (88, 58, 40))
CLOTHS = ((38, 42, 62), (48, 48, 52), (36, 56, 46), (72, 34, 40))
NOTES = ((252, 232, 110), (248, 172, 198), (150, 200, 240), (180, 228, 140), (250, 186, 122))
SHEET_INKS, NOTE_INKS = (
    ("ballpoint", "black_ballpoint", "pencil", "marker"),
    ("black_ballpoint", "ballpoint", "marker"),
)
BALLPOINTS = ("black_ballpoint", "ballpoint")
INKED_PAGES = (("white", ("red_marker", "green_marker")), ("recycled", ("pencil",)), ("yellow", BALLPOINTS),
               ("pink", BALLPOINTS))  # fmt: skip
PAGE_COLOURS = {
    "white": PAPER,
    "recycled": (192, 188, 178),
    "yellow": (250, 236, 160),
    "pink": (248, 210, 216),
}


def _noise(shape, scale, rng) -> np.ndarray:
    """:func:`bench.photos._smooth_noise` wrapping round the edges (no brighter blotches there)."""
    return _smooth_noise(shape, scale, rng, mode="wrap")


def _frame(rng) -> tuple[int, int]:
    """A phone picture's (height, width): about 640x480, landscape or (3 in 10) portrait."""
    w = int(rng.integers(600, 721))
    h = int(w * rng.uniform(0.72, 0.78))
    return (w, h) if rng.random() < 0.3 else (h, w)


def _ink(name: str, rng) -> tuple[np.ndarray, float, float]:
    colour, alpha, pen = INKS[name]
    return np.asarray(colour, np.float32), rng.uniform(*alpha), rng.uniform(*pen)


def _fit(digits, shape, height: float, pen_share: float, rng, **number) -> np.ndarray:
    """:func:`_number`, drawn smaller until it fits 80% of a surface of ``shape``."""
    for _ in range(5):
        mask = written_number(digits, int(height), max(1.2, pen_share * height), rng, **number)
        over = max(mask.shape[0] / (0.8 * shape[0]), mask.shape[1] / (0.8 * shape[1]))
        if over <= 1:
            break
        height /= over * 1.05
    return mask


def _paint(canvas, mask, y: int, x: int, colour, alpha: float, rng) -> None:
    """Lay ``mask`` in ink on ``canvas`` (in place) at (y, x), the pen's pressure varying along it."""
    h, w = canvas.shape[:2]
    mask = mask[max(0, -y) : max(0, h - y), max(0, -x) : max(0, w - x)]
    y, x = max(0, y), max(0, x)
    mh, mw = mask.shape
    pressure = np.clip(0.94 + 0.04 * _noise((mh, mw), 6, rng), 0.8, 1) if min(mh, mw) > 1 else 1
    a = (alpha * mask * pressure)[..., None]
    canvas[y : y + mh, x : x + mw] = canvas[y : y + mh, x : x + mw] * (1 - a) + colour * a


def _spot(shape, size, rng) -> tuple[int, int]:
    """A random top-left corner for writing of ``size`` on a surface of ``shape``, clear of its edges."""
    (h, w), (mh, mw) = shape, size
    y = int(rng.uniform(0.06 * h, max(0.06 * h + 1, 0.94 * h - mh)))
    x = int(rng.uniform(0.06 * w, max(0.06 * w + 1, 0.94 * w - mw)))
    return min(y, max(0, h - mh)), min(x, max(0, w - mw))


def _paste(canvas, mask, ink, rng) -> tuple[int, int, int, int]:
    """Paint ``mask`` at a random place of ``canvas`` clear of its edges; the box (y0, x0, y1, x1)."""
    y, x = _spot(canvas.shape[:2], mask.shape, rng)
    _paint(canvas, mask, y, x, ink[0], ink[1], rng)
    return y, x, y + mask.shape[0], x + mask.shape[1]


def _write(canvas, digits, height: float, ink_name: str, rng, **number) -> tuple[int, int, int, int]:
    ink = _ink(ink_name, rng)
    return _paste(canvas, _fit(digits, canvas.shape[:2], height, ink[2], rng, **number), ink, rng)


def _pick(rng, mnist, count: int) -> tuple[list[np.ndarray], str]:
    images, labels = mnist
    picks = rng.integers(0, len(images), size=count)
    return [images[j] for j in picks], "".join(str(labels[j]) for j in picks)


def _texture(shape, rng, fine: float, low: float, scale: float = 60) -> np.ndarray:
    return fine * _noise(shape, 0.7, rng) + low * _noise(shape, scale, rng)


def _desk(shape, rng, kind: str | None = None) -> np.ndarray:
    """A desk's top filling the frame: wood grain in one of several browns, grey laminate, dark cloth
    with its weave, or a beige desk (darker than paper). Float RGB."""
    h, w = shape
    kind = kind or rng.choice(["wood", "wood", "laminate", "cloth", "beige"])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":  # thin dark lines, unevenly spaced, bending slowly along the grain; fine streaks
        base = np.asarray(WOODS[rng.integers(len(WOODS))]) * rng.uniform(0.9, 1.1)
        across, along = (ys, xs) if rng.random() < 0.5 else (xs, ys)
        grain = across + rng.uniform(-0.05, 0.05) * along + rng.uniform(8, 25) * _noise(shape, 110, rng)
        lines = sum((0.5 + 0.5 * np.sin(2 * np.pi * grain / rng.uniform(*p) + rng.uniform(0, 6))) ** 8
                    for p in ((9, 16), (17, 31)))  # fmt: skip
        streaks = _noise(shape, (0.7, 40) if across is ys else (40, 0.7), rng)
        tone = -0.1 * lines + 0.05 * streaks + 0.06 * _noise(shape, 90, rng)
    elif kind == "laminate":
        base = np.full(3, rng.uniform(135, 185)) + rng.uniform(-3, 3) * np.array([-1, 0, 1])
        tone = _texture(shape, rng, 0.02, 0.03)
    elif kind == "cloth":
        base = np.asarray(CLOTHS[rng.integers(len(CLOTHS))]) * rng.uniform(0.8, 1.2)
        period = rng.uniform(2.5, 4.5)
        weave = np.sin(2 * np.pi * xs / period) * np.sin(2 * np.pi * ys / period)
        tone = 0.08 * weave + _texture(shape, rng, 0.06, 0.12, 40)
    else:
        base = np.asarray([rng.uniform(196, 214), rng.uniform(180, 196), rng.uniform(150, 170)])
        tone = _texture(shape, rng, 0.02, 0.04)
    return np.asarray(base, np.float32) * (1 + tone)[..., None]


def _sheet(shape, rng, kind: str | None = None, colour=PAPER) -> np.ndarray:
    """A sheet of paper, plain or lightly ruled (or ``kind``), of ``colour``, with fibre and a gentle
    unevenness."""
    kind = kind or str(rng.choice(["plain", "ruled"]))
    canvas = _paper(shape, kind, max(8, int(shape[0] / rng.uniform(22, 36))), rng)
    canvas = PAPER + (canvas - np.asarray(PAPER, np.float32)) * rng.uniform(0.45, 0.85)
    canvas += np.asarray(colour, np.float32) - PAPER + rng.uniform(-5, 3, 3)
    return canvas * (1 + _texture(shape, rng, 0.008, 0.02, 50))[..., None]


def _note(side: int, rng) -> np.ndarray:
    """A square sticky note in one of :data:`NOTES`, its lower part curling up into slightly other light."""
    colour = np.asarray(NOTES[rng.integers(len(NOTES))], np.float32) * rng.uniform(0.95, 1.02)
    curl = rng.uniform(-0.06, 0.06) * np.linspace(0, 1, side)[:, None] ** 2
    return colour * (1 + curl + _texture((side, side), rng, 0.008, 0.015, 30))[..., None]


def _view(points: np.ndarray, turn: float, tilt: float, f: float, rng) -> np.ndarray:
    """Corners (x, y, centred) of a flat surface turned ``turn``° in its plane and tilted ``tilt``° about
    a random axis in it, as a camera ``f`` pixels away with a focal length of ``f`` pixels sees them."""
    a, axis, t = np.radians(turn), rng.uniform(0, 2 * np.pi), np.radians(tilt)
    p = points @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    u, n = np.array([np.cos(axis), np.sin(axis)]), np.array([-np.sin(axis), np.cos(axis)])
    along, across = p @ u, p @ n
    flat = along[:, None] * u + (across * np.cos(t))[:, None] * n
    return f * flat / (f + across * np.sin(t))[:, None]


def _shadow(desk: np.ndarray, alpha: np.ndarray, rng) -> np.ndarray:
    """A soft shadow of the surface whose coverage is ``alpha``, cast a few pixels aside onto the desk."""
    from scipy.ndimage import shift
    from skimage.filters import gaussian

    angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(3, 12)
    cast = shift(alpha, (reach * np.sin(angle), reach * np.cos(angle)), order=1)
    return desk * (1 - rng.uniform(0.25, 0.55) * gaussian(cast, rng.uniform(3, 10)))[..., None]


def _lay(desk, surface, rng, area: float, turn: float, tilt: float, off_edge: float, keep=None) -> np.ndarray:
    """``surface`` lying on ``desk``, covering ``area`` of the frame, turned up to ``turn``°, seen up to
    ``tilt``° off its normal, with its shadow; with probability ``off_edge`` it runs off one or two edges.
    ``keep`` (y0, x0, y1, x1 on the surface: the writing) stays inside the frame."""
    from skimage.transform import ProjectiveTransform, warp

    (h, w), (sh, sw) = desk.shape[:2], surface.shape[:2]
    corners = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float64)
    quad = _view(
        corners - [sw / 2, sh / 2], rng.uniform(-turn, turn), rng.uniform(0, tilt), 0.78 * max(h, w), rng
    )
    x, y = quad.T
    quad *= np.sqrt(area * h * w / (0.5 * abs(x @ np.roll(y, 1) - y @ np.roll(x, 1))))
    size, frame = np.ptp(quad, axis=0), np.array([w, h], np.float64)
    room = np.maximum(frame - size, 0) / 2
    shift = rng.uniform(-0.9 * room, 0.9 * room + 1e-9)
    if rng.random() < off_edge:
        for axis in rng.choice(2, size=int(rng.integers(1, 3)), replace=False):
            shift[axis] = rng.choice([-1, 1]) * (room[axis] + rng.uniform(0.1, 0.35) * size[axis])
    inside = (
        np.array([[keep[1], keep[0]], [keep[3], keep[0]], [keep[3], keep[2]], [keep[1], keep[2]]])
        if keep
        else None
    )
    for _ in range(15):
        tform = ProjectiveTransform.from_estimate(
            quad - quad.mean(0) + frame / 2 + shift, corners
        )  # frame -> surface
        seen = tform.inverse(inside) if keep else None
        if seen is None or ((seen > 0.02 * frame) & (seen < 0.98 * frame)).all():
            break
        shift += 0.3 * (frame / 2 - seen.mean(0))  # towards the writing in the middle of the frame
        quad /= max(1, (np.ptp(seen, axis=0) / (0.94 * frame)).max())  # smaller if the writing can't fit
    warped = warp(surface, tform, output_shape=(h, w), order=1, preserve_range=True)
    alpha = warp(np.ones((sh, sw)), tform, output_shape=(h, w), order=1)[..., None]
    return _shadow(desk, alpha[..., 0], rng) * (1 - alpha) + warped * alpha


def _finish(canvas: np.ndarray, rng, light=(0.1, 0.4), blur=(0.3, 1.0)) -> Image.Image:
    """A phone's picture of the scene: uneven light, vignetting, slight defocus, sensor noise."""
    from skimage.filters import gaussian

    h, w = canvas.shape[:2]
    canvas = _light(canvas, rng, rng.uniform(*light))
    ys, xs = np.mgrid[0:h, 0:w]
    canvas *= (1 - rng.uniform(0, 0.25) * (((ys - h / 2) / h) ** 2 + ((xs - w / 2) / w) ** 2) * 2)[..., None]
    canvas = gaussian(canvas, rng.uniform(*blur), channel_axis=-1, preserve_range=True)
    canvas += rng.normal(0, rng.uniform(2, 7), canvas.shape) + rng.normal(0, 2, (h, w, 1))
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def _tilt(canvas: np.ndarray, rng, amount: float = 0.03) -> np.ndarray:
    """A page filling the frame, seen slightly askew: each frame corner lands up to ``amount`` inside."""
    from skimage.transform import ProjectiveTransform, warp

    h, w = canvas.shape[:2]
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * rng.uniform(0, amount, (4, 2)) * [w, h]
    tform = ProjectiveTransform.from_estimate(corners, corners + inward)  # frame -> page
    return warp(canvas, tform, order=1, mode="edge", preserve_range=True)


def _lines(paths, pen: float, shape) -> np.ndarray:
    """A mask of ``shape`` with each path ((n, 2) points x, y) drawn as a pen ``pen`` pixels wide."""
    from skimage.draw import line
    from skimage.morphology import dilation, disk

    mask = np.zeros(shape, bool)
    for path in paths:
        for (x0, y0), (x1, y1) in zip(
            path[:-1].round().astype(int), path[1:].round().astype(int), strict=True
        ):
            rr, cc = line(y0, x0, y1, x1)
            keep = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
            mask[rr[keep], cc[keep]] = True
    return (dilation(mask, disk(pen / 2)) if pen >= 2 else mask).astype(np.float32)


def _hand(p0, p1, rng, wobble: float = 0.012, overshoot=(-0.03, 0.08)) -> np.ndarray:
    """Points of a line drawn by hand from ``p0`` to ``p1``: bowing and wavering by ``wobble`` of its
    length, starting and stopping a little short of or past its ends."""
    p0, p1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
    length = np.hypot(*(p1 - p0)) + 1e-9
    normal = np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / length
    s = np.linspace(-rng.uniform(*overshoot), 1 + rng.uniform(*overshoot), max(2, int(length / 3)))
    bow = rng.normal(0, 1) * np.sin(np.pi * s) + 0.5 * rng.normal(0, 1) * np.sin(
        2 * np.pi * s + rng.uniform(0, 6)
    )
    return p0 + s[:, None] * (p1 - p0) + (wobble * length * bow)[:, None] * normal


def _rectangle(x0, y0, x1, y1, rng) -> list[np.ndarray]:
    """The four sides of a hand-drawn rectangle, each wobbly, its corners overshot or left open."""
    size = max(x1 - x0, y1 - y0)
    corners = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]) + rng.normal(0, 0.015 * size, (4, 2))
    return [_hand(corners[k], corners[(k + 1) % 4], rng, 0.01) for k in range(4)]


def _surface_on_desk(rng, digits, note: bool, fold: bool = False) -> Image.Image:
    """``digits`` (none: an empty surface) on a sheet (25-50% of its height; 30-90% of the frame, up to
    30° off the normal, 1 in 4 running off the frame) or a sticky note (25-60% of the frame's height,
    mild perspective), lying on a desk."""
    h, w = _frame(rng)
    if note:
        side = int(rng.uniform(0.25, 0.6) * h)
        surface, area, tilt, off = _note(side, rng), side**2 / (h * w), 15, 0.0
        height, ink = rng.uniform(0.4, 0.7) * side, str(rng.choice(NOTE_INKS))
    else:
        area = rng.uniform(0.3, 0.9)
        aspect = 1 / np.sqrt(2) if rng.random() < (0.6 if h < w else 0.2) else np.sqrt(2)
        sheet_h = int(np.sqrt(area * h * w * aspect))
        surface, tilt, off = _sheet((sheet_h, int(sheet_h / aspect)), rng), 30, 0.25
        height, ink = rng.uniform(0.25, 0.5) * sheet_h, str(rng.choice(SHEET_INKS))
    keep = _write(surface, digits, height, ink, rng) if len(digits) else None
    if fold:
        _fold(surface, rng, keep)
    return _finish(_lay(_desk((h, w), rng), surface, rng, area, 25, tilt, off, keep), rng)


def _fold(canvas: np.ndarray, rng, keep=None) -> None:
    """A straight crease across the page (in place): a thin darker or lighter line, the two halves
    catching the light differently. Mostly parallel to an edge and clear of the writing ``keep``."""
    h, w = canvas.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for attempt in range(30):
        a = rng.uniform(0, np.pi) if rng.random() < 0.2 else rng.choice([0, np.pi / 2]) + rng.normal(0, 0.04)
        px, py = rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h
        if keep is None or (attempt == 0 and rng.random() < 0.15):
            break
        sides = [(x - px) * np.cos(a) + (y - py) * np.sin(a) for y in keep[::2] for x in keep[1::2]]
        if min(sides) > 3 or max(sides) < -3:
            break
    d = (xs - px) * np.cos(a) + (ys - py) * np.sin(a)
    step = rng.uniform(0.03, 0.12)
    shade = np.where(d > 0, 1 - step, 1 + step / 3) * (1 + rng.uniform(-0.04, 0.04) * np.exp(-np.abs(d) / 40))
    crease = rng.uniform(0.06, 0.2) * np.exp(-(d**2) / (2 * rng.uniform(0.6, 1.8) ** 2))
    canvas *= (shade * (1 - crease if rng.random() < 0.65 else 1 + 0.6 * crease))[..., None]


def sheet_on_desk(rng, mnist, i):
    digits, truth = _pick(rng, mnist, 1)
    return _surface_on_desk(rng, digits, note=False), truth


def sticky_note(rng, mnist, i):
    digits, truth = _pick(rng, mnist, 1)
    return _surface_on_desk(rng, digits, note=True), truth


def number_on_desk(rng, mnist, i):
    """2-4 digits on a sheet or (4 in 10) a sticky note on a desk."""
    note = rng.random() < 0.4
    digits, truth = _pick(rng, mnist, int(rng.integers(2, 5)))
    return _surface_on_desk(rng, digits, note), truth


def _full_page(rng, digits, height_share, inks, kind=None, colour=PAPER, **number) -> Image.Image:
    """``digits`` on a page filling the frame, about ``height_share`` of its height tall."""
    h, w = _frame(rng)
    page = _sheet((h, w), rng, kind, colour)
    if colour == PAGE_COLOURS["recycled"]:  # flecks of fibre
        from skimage.filters import gaussian

        page -= 300 * gaussian((rng.random((h, w)) < 0.002).astype(np.float32), 0.8)[..., None]
    _write(page, digits, rng.uniform(*height_share) * h, str(rng.choice(inks)), rng, **number)
    return _finish(_tilt(page, rng), rng)


def touching_numbers(rng, mnist, i):
    """2-4 digits close together (strokes overlapping to small gaps), slanted 5-20° (mostly forward)."""
    slant = rng.uniform(5, 20) * (1 if rng.random() < 0.8 else -1)
    digits, truth = _pick(rng, mnist, int(rng.integers(2, 5)))
    return _full_page(rng, digits, (0.2, 0.4), SHEET_INKS, gaps=(-0.08, 0.08), slant=slant), truth


def colour_ink(rng, mnist, i):
    """Red or green marker on white, pencil on recycled grey, black or blue ballpoint on yellow or pink
    (in turn)."""
    page, inks = INKED_PAGES[i % 4]
    digits, truth = _pick(rng, mnist, 1)
    return _full_page(rng, digits, (0.3, 0.55), inks, "plain", PAGE_COLOURS[page]), truth


def _near(box, size, rng) -> tuple[int, int]:
    """Where to put something of ``size`` beside, above or partly over the writing in ``box``."""
    (y0, x0, y1, x1), (gh, gw) = box, size
    where = rng.integers(3)
    if where == 0:  # beside
        left = x0 - gw * rng.uniform(0.7, 1.2)
        return int(y0 + rng.uniform(-0.3, 0.3) * (y1 - y0)), int(
            left if rng.random() < 0.5 else x1 + rng.uniform(-0.2, 0.1) * gw
        )
    if where == 1:  # above
        return int(y0 - gh * rng.uniform(0.6, 1.1)), int(x0 + rng.uniform(-0.3, 0.8) * (x1 - x0))
    return int(y0 + rng.uniform(-0.4, 0.4) * (y1 - y0)), int(x0 + rng.uniform(-0.4, 0.8) * (x1 - x0))


def whiteboard_ghosts(rng, mnist, i):
    """1-4 digits in marker on a whiteboard with a glare, faint smeared ghosts of erased writing (other
    digits or scribbles, 8-20% of the ink's contrast) beside, above or under the number."""
    from skimage.filters import gaussian

    digits, truth = _pick(rng, mnist, int(rng.integers(1, 5)))
    h, w = _frame(rng)
    board = rng.uniform(228, 242) + np.array([-rng.uniform(0, 6), -rng.uniform(0, 3), rng.uniform(0, 5)])
    streaks = 0.005 * _noise((h, w), (3, 60) if rng.random() < 0.5 else (60, 3), rng)
    canvas = board.astype(np.float32) * (1 + streaks + _texture((h, w), rng, 0.003, 0.01, 80))[..., None]
    colour, alpha, share = _ink(str(rng.choice(["marker", "blue_marker", "red_marker", "green_marker"])), rng)
    number = _fit(digits, (h, w), rng.uniform(0.2, 0.45) * h, share, rng)
    (y, x), (mh, mw) = _spot((h, w), number.shape, rng), number.shape
    for _ in range(int(rng.integers(1, 4))):
        size = mh * rng.uniform(0.5, 1.1)
        if rng.random() < 0.6:
            ghost = written_number(
                _pick(rng, mnist, int(rng.integers(1, 4)))[0], int(size), share * size, rng
            )
        else:
            turns = np.cumsum(rng.normal(0, 0.4, int(rng.integers(20, 80))))
            path = np.cumsum(np.stack([np.cos(turns), np.sin(turns)], 1) * size / 10, 0)
            path -= path.min(0) - share * size
            ghost = _lines(
                [path], share * size, tuple(int(v + 2 * share * size) + 1 for v in path.max(0)[::-1])
            )
        ghost = gaussian(ghost, rng.uniform(1, 3) * rng.permutation([1, rng.uniform(1, 4)]))  # smeared
        ghost /= ghost.max() + 1e-9
        gy, gx = _near((y, x, y + mh, x + mw), ghost.shape, rng)
        ghost_colour = colour if rng.random() < 0.6 else _ink(str(rng.choice(list(INKS)[3:])), rng)[0]
        _paint(canvas, ghost, gy, gx, ghost_colour, alpha * rng.uniform(0.08, 0.2), rng)
    _paint(canvas, number, y, x, colour, alpha, rng)
    ys, xs = np.mgrid[0:h, 0:w]
    cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.12, 0.3) * max(h, w)
    canvas += rng.uniform(15, 45) * np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * r**2))[..., None]
    return _finish(_tilt(canvas, rng), rng, light=(0.05, 0.25)), truth


def box_around(rng, mnist, i):
    """One digit in a hand-drawn box 1.2-1.8 times its size or, half the time, underlined (1.0-1.6 times
    its width), in the same ink."""
    digits, truth = _pick(rng, mnist, 1)
    h, w = _frame(rng)
    page = _sheet((h, w), rng, str(rng.choice(["plain", "ruled", "squared"])))
    ink = _ink(str(rng.choice(SHEET_INKS)), rng)
    height = rng.uniform(0.18, 0.32) * h
    pen = max(1.2, ink[2] * height)
    digit = cropped(stroke_mask(digits[0], int(height), pen), 0)
    (dh, dw), pad = digit.shape, int(2 * pen + 4)
    if rng.random() < 0.5:
        bh, bw = rng.uniform(1.2, 1.8) * dh, rng.uniform(1.2, 1.8) * max(dw, 0.6 * dh)
        mask = _lines(
            _rectangle(pad, pad, pad + bw, pad + bh, rng), pen, (int(bh) + 2 * pad, int(bw) + 2 * pad)
        )
        y, x = int(pad + rng.uniform(0.25, 0.75) * (bh - dh)), int(pad + rng.uniform(0.25, 0.75) * (bw - dw))
    else:
        length = rng.uniform(1.0, 1.6) * dw
        width = int(max(length, dw)) + 2 * pad
        y, x = pad, int((width - dw) / 2)
        start = np.array([(width - length) / 2 + rng.normal(0, 0.1) * dw, pad + dh * rng.uniform(1.08, 1.25)])
        end = start + length * np.array([1, np.tan(np.radians(rng.uniform(-4, 4)))])
        mask = _lines([_hand(start, end, rng, 0.008, (0, 0.02))], pen, (int(pad + 1.4 * dh) + pad, width))
    mask[y : y + dh, x : x + dw] = np.maximum(mask[y : y + dh, x : x + dw], digit)
    _paste(page, cropped(mask), ink, rng)
    return _finish(_tilt(page, rng), rng), truth


def folded_page(rng, mnist, i):
    """One digit on a page with a crease across it: full frame, or (half the time) a sheet on a desk."""
    digits, truth = _pick(rng, mnist, 1)
    if rng.random() < 0.5:
        return _surface_on_desk(rng, digits, note=False, fold=True), truth
    h, w = _frame(rng)
    page = _sheet((h, w), rng)
    keep = _write(page, digits, rng.uniform(0.25, 0.5) * h, str(rng.choice(SHEET_INKS)), rng)
    _fold(page, rng, keep)
    return _finish(_tilt(page, rng), rng), truth


def _edge(shape, rng) -> np.ndarray:
    """A page's edge or corner on a desk, or a table's edge over the floor far below: two regions of
    different brightness meeting at a straight edge or a corner."""
    from skimage.filters import gaussian

    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    px, py, a = rng.uniform(0.25, 0.75) * w, rng.uniform(0.25, 0.75) * h, rng.uniform(0, 2 * np.pi)
    inside = (xs - px) * np.cos(a) + (ys - py) * np.sin(a)
    if rng.random() < 0.5:  # a corner, not quite square in perspective
        b = a + np.pi / 2 + rng.normal(0, 0.1)
        inside = np.minimum(inside, (xs - px) * np.cos(b) + (ys - py) * np.sin(b))
    alpha = np.clip(inside + 0.5, 0, 1)
    if rng.random() < 0.6:
        top, under = _sheet(shape, rng), _desk(shape, rng)
    else:
        top = _desk(shape, rng)
        under = gaussian(_desk(shape, rng), 4, channel_axis=-1, preserve_range=True) * rng.uniform(0.3, 0.7)
    return _shadow(under, alpha, rng) * (1 - alpha[..., None]) + top * alpha[..., None]


def empty_scenes(rng, mnist, i):
    """No digit: an empty sheet or sticky note on a desk, a desk alone, a hand-drawn rectangle, a long
    ruler-drawn line, a page's or a table's edge or corner (in turn)."""
    kind = i % 6
    if kind < 2:
        return _surface_on_desk(rng, [], note=kind == 1), ""
    h, w = _frame(rng)
    if kind in (2, 5):
        return _finish(_desk((h, w), rng) if kind == 2 else _edge((h, w), rng), rng), ""
    page = _sheet((h, w), rng)
    colour, alpha, share = _ink(str(rng.choice(SHEET_INKS)), rng)
    pen = max(1.2, share * rng.uniform(0.15, 0.4) * h)
    if kind == 3:
        bw, bh = rng.uniform(0.2, 0.7) * w, rng.uniform(0.15, 0.6) * h
        x0, y0 = rng.uniform(0.05 * w, 0.95 * w - bw), rng.uniform(0.05 * h, 0.95 * h - bh)
        paths = _rectangle(x0, y0, x0 + bw, y0 + bh, rng)
    else:
        a, reach = rng.uniform(0, np.pi), rng.uniform(0.35, 0.55) * np.hypot(h, w)
        centre = np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h])
        paths = [centre + np.outer(np.linspace(-reach, reach, 2), [np.cos(a), np.sin(a)])]
    _paint(page, _lines(paths, pen, (h, w)), 0, 0, colour, alpha, rng)
    return _finish(_tilt(page, rng), rng), ""


@cache
def _sklearn_digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images, bunch.target


def tight_crops(rng, mnist, i):
    """scikit-learn's i-th bundled digit (8x8, 0-16) as a small tight scan: dark ink on white, 96x96."""
    images, targets = _sklearn_digits()
    image = images[i % len(images)]
    return Image.fromarray((255 * (1 - image / 16)).astype(np.uint8)).resize((96, 96), Image.BICUBIC), str(
        targets[i % len(images)]
    )


SCENES = {
    "sheet_on_desk": sheet_on_desk, "sticky_note": sticky_note, "number_on_desk": number_on_desk,
    "touching_numbers": touching_numbers, "whiteboard_ghosts": whiteboard_ghosts, "colour_ink": colour_ink,
    "box_around": box_around, "folded_page": folded_page, "empty_scenes": empty_scenes,
    "tight_crops": tight_crops,
}  # fmt: skip
PNG_SCENES = ("tight_crops",)
