"""A picture of handwriting (a phone photo, a scan, a drawing) -> the MNIST-style digits in it, left to right.

MNIST's digits are white strokes of one pen width on black, fitted into 20x20 and centred by centre of mass
in 28x28. A photo of a notebook page is far from that: uneven light, ruling lines, JPEG noise, a thin
ballpoint or a fat marker, a small digit somewhere on a large page. Each step below removes one of those
differences, with scikit-image doing the image processing:

1. :func:`working_copy`: bounded size, so a 12-Mpixel photo and a 28x28 scan cost about the same.
2. :func:`ink_strength`: the paper's (or board's) own brightness, estimated by a morphological closing
   (opening) wider than any stroke, is subtracted, which removes shadows and uneven light. Dark ink on
   light paper or light chalk on a dark board: whichever leaves the sparser residue, unless told.
3. :func:`ink_mask`: a hysteresis threshold relative to the ink's contrast and above the picture's noise.
4. :func:`remove_rules`: long thin straight lines that run across the picture (ruled, squared and margin
   lines) are found after straightening the picture (Hough transform), and removed except where a stroke
   crosses them.
5. :func:`digit_boxes`: connected components, specks dropped, grouped into digits along the line of
   writing, left to right; touching digits cut apart where the models read them best, when they are
   given (:mod:`mnist_dvc.reading.segment`). No group large enough: no digit.
6. :func:`redraw`: each digit's skeleton redrawn with MNIST's pen, fitted into 20x20, centred by mass.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from mnist_dvc.reading.segment import Judge, cut_by_reading

POLARITY_MARGIN = 2.0  # the polarity against the picture's brightness needs this much more contrast
WORK_LONG_SIDE = 1024  # larger pictures are shrunk (anti-aliased) to this long side first
WORK_SHORT_SIDE = 112  # smaller ones (a 28x28 scan) are enlarged, so strokes are several pixels wide
BACKGROUND_SHARE = 0.25  # of the short side: the paper estimate's footprint, wider than any stroke
MIN_CONTRAST = 32.0  # on 0-255: ink fainter than this against its paper is no ink (a blank picture)
NOISE_MADS = 6.0  # ink stands this many median absolute deviations above the paper's residue...
CLEAR_OF_NOISE = 1.5  # ...and its typical contrast is this many times that floor: else it is noise
LOW, HIGH = 0.3, 0.55  # hysteresis thresholds, as shares of the ink's typical contrast
MAX_TILT = 10.0  # degrees: a photo tilted up to this much is straightened by its ruling lines
RULE_COVERAGE = 0.5  # a ruling line's ink covers at least this share of the picture's width (height)...
RULE_REACH = 0.12  # ...reaches within this share of both edges...
RULE_THICKNESS = 0.025  # ...and is at most this share of the short side thick (3 pixels at least)
RULE_LEVEL = 0.15  # rulings are looked for down to this share of the ink's contrast
GRID_INK = 1.15  # on a page that a grid covers, writing is this many times as dark as the grid
LINE_LEVEL = 30  # percentile: a ruling line's own strength, along it...
LINE_BLOCK = 0.25  # ...over blocks of this share of its length...
INK_ON_LINE = 4.0  # ...and ink on the line rises this many times the line's noise above that...
SIDE_ROWS = 3  # ...and above the paper this many rows beside the line
RULE_SLACK = 3  # pixels: how far a ruling line may wander from level across the straightened picture
RULE_RUN = 15  # pixels: rulings are also looked for in the strength averaged this far along them...
RUN_NOISE = 0.5  # ...where the noise above the paper is at most this share of a single pixel's
DOT_SHARE, DOT_SIZE = 0.15, 0.2  # a piece beyond a digit's strokes with less ink, and smaller: a dot
SPECK = 0.04  # a component smaller than this share of the largest one is a speck (noise, dust)
MAX_STROKE_SHARE = 0.4  # of a digit's long side: thicker "strokes" are shadows or blots
NUMBER_STROKES = 5.0  # ...unless this many stroke widths tall: touching digits of a number
SPLIT_ASPECT = 1.8  # a crop wider than this many heights holds touching digits...
MIN_PART = 0.3  # ...each at least this share of the height wide...
PART_HEIGHT = 0.6  # ...and this share of it tall
SIDE_OVERLAP = 0.5  # of the narrower: pieces side by side that overlap less in x are two digits...
SIDE_HEIGHT = 0.6  # ...when the shorter is at least this share of the taller's height
LINE_BAND = 0.5  # a straight line's ink spreads across it by at most this many pen widths (std)...
LONG_LINE, ONE_LEAN = 0.6, 60.0  # ...and it is this share of the long side long, or leans this far
LINE_REACH = 0.1  # of the short side: a line whose ends come this near the edges runs across the picture
OUTLINE_FILL, OUTLINE_HOLE = 0.88, 0.6  # filled, a rectangle's outline fills its box; it is mostly hole
BOX_FILL = 0.8  # ...or this much of it, when it is drawn around other writing
MIDDLE = 0.6  # of a box's inner area, about its centre: a box drawn in one stroke leaves it empty
ALONG_BOX, HELD = 0.1, 0.5  # of a piece's ink within a box: at most, a side of it; at least, held in it
MAX_ASPECT = 3.0  # width over height: wider groups are slivers of lines, not digits
TIGHT_CROP = 0.06  # of the short side: a digit this close to the picture's edge was cropped tight
SCAN_GROW, SCAN_FLOOR = 0.1, 0.1  # a tight crop's ink: this far round its box, from this share of its darkest
SCAN_HALO = 0.4  # of a scan's darkest: fainter shades, measured against its one paper, are its blur's halo
TIGHT_SHARE = 0.5  # of the short side: writing this large that runs into the edge was cropped tight
EDGE_MARK = 0.15  # of the short side: smaller marks at the picture's edge are not writing
MIN_DIGIT_HEIGHT = 0.025  # of the long side: smaller writing is no digit
SAME_DIGIT_GAP = 0.08  # of a digit's height: pieces closer than this side by side are one digit
UNDERLINE = 4.0  # width over height: a flat piece this flat, below a digit, underlines it
BAR_GAP = 0.75  # of a digit's height: how far above or below it a flat piece (a bar written apart) may be
SAME_ROW = 0.5  # another digit overlaps the main one vertically by this share of the smaller height
MIN_HEIGHT_SHARE = 0.4  # ...and is at least this share of the main digit's height...
MAX_HEIGHT = 2.0  # ...and at most this many times it (a margin line beside a digit is longer)
MAX_GAP = 1.5  # ...and lies within this many digit heights of its neighbour in the row
BOX, SIDE = 20, 28  # MNIST: the digit fits a 20x20 box inside the 28x28 image
# MNIST's pen: ink mass per pixel of skeleton is 2.85 pixels (median of the first 3,000 training digits).
# Drawn OVERSAMPLE times larger with a disk of radius PEN_RADIUS and averaged back: (2 * 5 + 1) / 4 = 2.75.
OVERSAMPLE, PEN_RADIUS = 4, 5
KEEP_PEN = (0.12, 0.25)  # a pen this wide (of the digit's long side; MNIST's: 2.85 / 20) is kept as is
SPUR = 0.75  # skeleton branches shorter than this many stroke widths, ending free, are spurs
INKS = ("auto", "dark", "light")
CHANNEL_GAIN = 1.5  # a colour channel replaces the brightness when its ink contrast is this much larger
MIN_PAPER_LEVEL = 60.0  # ...and the paper is at least this bright in it (else its ratios are noise)


@dataclass
class Found:
    """What :func:`find_digits` saw: the digits (N, 28, 28) in [0, 1], left to right (N = 0: no digit)."""

    digits: np.ndarray
    ink: str  # "dark" (ink on paper) or "light" (chalk on a board), as decided or forced


def find_digits(picture: np.ndarray, ink: str = "auto", judge: Judge | None = None) -> Found:
    """A picture (H, W) gray or (H, W, 3) colour on 0-255 -> the handwritten digits in it, MNIST-style.
    With a ``judge`` (the models' log-probabilities for digits), touching digits are cut apart where
    it reads them best (:mod:`mnist_dvc.reading.segment`); without one, at the deepest valley of their ink."""
    from mnist_dvc.reading.surface import MIN_PHOTO_SIDE, as_rgb, border_colour, find_surface, flatten, pad

    if ink not in INKS:
        raise ValueError(f"ink must be one of {INKS}, got {ink!r}")
    rgb = as_rgb(working_copy(picture))
    surface = find_surface(rgb)
    if surface is not None:
        rgb, inside = flatten(rgb, surface)
        paper = surface.colour
    scan = surface is None and min(rgb.shape[:2]) < MIN_PHOTO_SIDE
    if surface is None:  # the surface fills the frame
        paper, inside = border_colour(rgb), np.ones(rgb.shape[:2], bool)
        if scan:
            # A scan or a crop: the paper goes on past it, so a digit cropped tight, whose strokes run
            # into the edge, gets paper all round, as a photo's digit has.
            rgb, inside = pad(rgb, inside, paper)
    gray = ink_gray(rgb, paper)
    strength, ink = ink_strength(gray, ink)
    mask, grid_floor = ink_mask(strength), None
    if mask is None and not scan:
        # A dense grid (squared paper) can cover most of a photographed page: then the picture's median
        # is the grid's, and nothing stands out of it. The paper is measured from its lightest pixels
        # instead, the grid goes with the rulings, and what is left must stand out of the grid as
        # writing does. (A scan is a crop, too small to hold such a grid.)
        grid_floor = _noise_floor(strength, lightest=True)
        mask = ink_mask(strength, floor=grid_floor)
    if mask is None:
        return Found(np.zeros((0, SIDE, SIDE), np.float32), ink)
    mask, strength, inside = remove_rules(mask, strength, inside, straighten=not scan, grid_floor=grid_floor)
    if grid_floor is not None and not _stands_out(mask, strength, grid_floor):
        return Found(np.zeros((0, SIDE, SIDE), np.float32), ink)
    frame = _frame(mask.shape, inside)
    split = None if judge is None else partial(_read_apart, strength=strength, judge=judge)
    found = digit_boxes(mask, inside, split, scan)
    # A lone digit cropped tight is read from its shades, as MNIST's scans were; in a photo, a hairline
    # pen's shades are too thin to read, and a digit written near the page's edge is redrawn. A scan's
    # shades are measured against its one paper, not a closing, which its broad strokes would partly
    # fill; its blur's halo, which the closing took away, is then left out by SCAN_HALO.
    lone_scan = scan and len(found) == 1  # only a lone digit is read from its shades
    shades, floor = (
        (ink_strength(gray, ink, scan=True)[0], SCAN_HALO) if lone_scan else (strength, SCAN_FLOOR)
    )
    digits = [
        scan_digit(shades, box, frame, floor)
        if len(found) == 1 and _at_edge_box(box, frame) and (scan or pen_share(crop) >= KEEP_PEN[0])
        else mnist_digit(crop, strength[box])
        for crop, box in found
    ]  # fmt: skip
    return Found(np.stack(digits) if digits else np.zeros((0, SIDE, SIDE), np.float32), ink)


def working_copy(picture: np.ndarray) -> np.ndarray:
    from skimage.transform import rescale

    long_side, short_side = max(picture.shape[:2]), min(picture.shape[:2])
    factor = min(WORK_LONG_SIDE / long_side, max(1.0, WORK_SHORT_SIDE / short_side))
    if factor == 1.0:
        return picture.astype(np.float32)
    channels = -1 if picture.ndim == 3 else None
    return rescale(
        picture.astype(np.float32), factor, order=1, anti_aliasing=factor < 1, preserve_range=True,
        channel_axis=channels,
    )  # fmt: skip


def ink_gray(rgb: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The one channel of the picture in which its ink stands out most from its paper's colour (H, W),
    on 0-255: the brightness, unless red, green or blue shows the ink at CHANNEL_GAIN times the contrast
    over the paper's noise (red ink on white paper, blue ink on a blue note)."""
    gray = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    channels = [gray, *(rgb[..., c] for c in range(3))]
    levels = [float(np.median(gray)), *map(float, paper)]
    step = max(1, int(np.sqrt(gray.size / 40_000)))  # a sample of some 40,000 pixels is enough
    scores = []
    for channel, level in zip(channels, levels, strict=True):
        sample = channel[::step, ::step]
        deviation = sample - float(np.median(sample))
        noise = _noise_spread(sample) + 1.0
        reach = max(-float(np.percentile(deviation, 0.5)), float(np.percentile(deviation, 99.5)))
        scores.append(reach / noise if level >= MIN_PAPER_LEVEL or channel is gray else 0.0)
    best = int(np.argmax(scores))
    return channels[best] if scores[best] > CHANNEL_GAIN * scores[0] else gray


def ink_strength(gray: np.ndarray, ink: str = "auto", scan: bool = False) -> tuple[np.ndarray, str]:
    """How much darker (lighter) than its paper (board) each pixel is, on 0-255, and which ink that is.

    A closing with a footprint wider than any stroke fills the strokes in and leaves the paper, shadows
    and gradients included; the difference is the ink alone. In a ``scan`` (a small crop, evenly lit)
    a stroke can be a third of the picture wide: the footprint is then the whole picture, one paper.
    """
    from scipy.ndimage import grey_closing, grey_opening

    size = (max(gray.shape) if scan else max(15, round(min(gray.shape) * BACKGROUND_SHARE))) | 1
    footprint = (size, size)  # a square: scipy filters it row by row and column by column, at any size
    if ink == "auto":
        ink = polarity(gray)
    # Light falls on paper and ink alike: the ink's share of the paper's brightness is what stays the same
    # from the lit side of the page to the shaded side.
    if ink == "dark":
        residue = (1 - gray / np.maximum(grey_closing(gray, size=footprint), 1)) * 255
    else:
        residue = gray - grey_opening(gray, size=footprint)
    # A closing follows the noise's peaks, not its middle, so bare paper sits above zero, by more the
    # noisier the photo: measured from the paper's own level, contrasts compare across photos.
    strength = _smooth(residue)
    return strength - float(np.median(strength)), ink


def polarity(gray: np.ndarray) -> str:
    """ "dark" (ink on paper) or "light" (chalk on a board).

    Paper is light and boards are dark, so the picture's median brightness gives the first guess; the
    other polarity wins only where it reaches POLARITY_MARGIN times farther from the paper's brightness.
    That brightness here is a coarse median, which, unlike a closing or an opening, favours neither side
    (ink covers a minority of each block); the reach is that of the lightly smoothed residue, so single
    noisy pixels do not count."""
    from skimage.filters import gaussian
    from skimage.measure import block_reduce
    from skimage.transform import resize

    block = max(4, min(gray.shape) // 8)
    coarse = block_reduce(gray, (block, block), np.median, cval=float(np.median(gray)))
    residual = gaussian(gray - resize(coarse, gray.shape, order=1), sigma=1, preserve_range=True)
    darker, lighter = -float(residual.min()), float(residual.max())
    if np.median(gray) >= 128:
        return "light" if lighter > POLARITY_MARGIN * darker else "dark"
    return "dark" if darker > POLARITY_MARGIN * lighter else "light"


def _smooth(strength: np.ndarray) -> np.ndarray:
    """A light Gaussian: sensor noise and JPEG blocks average out, strokes (several pixels) stay."""
    from skimage.filters import gaussian

    return gaussian(strength, sigma=1.0, preserve_range=True)


def _noise_spread(values: np.ndarray) -> float:
    """The standard deviation of normal noise among ``values``, from their median absolute deviation,
    which the few strokes among them do not raise (0 for no values)."""
    from scipy.stats import median_abs_deviation

    return float(median_abs_deviation(values, axis=None, scale="normal")) if values.size else 0.0


def _noise_floor(strength: np.ndarray, lightest: bool = False) -> float:
    """The paper's residue: most pixels are paper, so their median and spread are the noise's. On
    spotless paper that spread is nil, and the floor is the faintest ink ever taken (JPEG's ringing
    around a thin stroke is fainter, and would otherwise count as the typical ink).

    ``lightest``: for a page whose lines cover most of it, the paper is only its lightest quarter; its
    5th and 25th percentiles give the paper's median and spread as a normal distribution's would (1.645
    and 0.674 standard deviations below the median)."""
    if lightest:
        low, quartile = (float(q) for q in np.percentile(strength, [5, 25]))
        spread = (quartile - low) / (1.645 - 0.674)
        median = quartile + 0.674 * spread
    else:
        median = float(np.median(strength))
        spread = _noise_spread(strength)
    return max(median + NOISE_MADS * spread, LOW * MIN_CONTRAST)


def _stands_out(mask: np.ndarray, strength: np.ndarray, floor: float) -> bool:
    """Whether the writing left in ``mask`` is GRID_INK times as strong as the typical pixel above the
    ``floor``, which on such a page is the grid's: what is left of the lines of an empty page is not."""
    return bool(mask.any()) and np.median(strength[mask]) >= GRID_INK * np.median(strength[strength > floor])


def _contrast(
    strength: np.ndarray, floor: float, exclude: np.ndarray | None = None, percentiles=(90,)
) -> list[float]:
    """The ink's contrast at ``percentiles`` of the pixels above the noise ``floor`` (0 if none): the
    90th is its typical contrast."""
    above = strength > floor
    if exclude is not None:
        above &= ~exclude
    candidates = strength[above]
    return (
        [float(c) for c in np.percentile(candidates, percentiles)]
        if candidates.size
        else [0.0] * len(percentiles)
    )


def ink_mask(
    strength: np.ndarray, exclude: np.ndarray | None = None, floor: float | None = None
) -> np.ndarray | None:
    """Ink pixels: hysteresis between LOW and HIGH of the ink's contrast, never below the noise
    ``floor`` (:func:`_noise_floor` by default). None when nothing stands out by MIN_CONTRAST (a blank
    page, a photo with no writing)."""
    from skimage.filters import apply_hysteresis_threshold

    floor = _noise_floor(strength) if floor is None else floor
    contrast, strongest = _contrast(strength, floor, exclude, (90, 99))
    # Faint rulings can outnumber the writing, and set the typical contrast: the gate asks only that the
    # strongest ink reach MIN_CONTRAST.
    if contrast < CLEAR_OF_NOISE * floor or strongest < MIN_CONTRAST:
        return None
    return apply_hysteresis_threshold(strength, max(floor, LOW * contrast), max(floor, HIGH * contrast))


def remove_rules(
    mask: np.ndarray,
    strength: np.ndarray,
    inside: np.ndarray | None = None,
    straighten: bool = True,
    grid_floor: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mask without ruling lines, the strength and the area ``inside`` that holds the picture (all of
    it by default), all three straightened by the lines' angle when the photo is tilted (a scan, not
    ``straighten``-ed, is as it was scanned: its own strokes are no rulings to level).

    A ruling line runs across the picture (RULE_COVERAGE, RULE_REACH) and is thin (RULE_THICKNESS). Where
    a stroke crosses it, the stroke is kept. A lone long line with nothing else beside it is a stroke
    (a "1" drawn across the whole canvas), not a ruling. ``grid_floor``, when given, is the noise floor
    of a page a grid covers (measured from its lightest pixels), used throughout.
    """
    from skimage.transform import rotate

    from mnist_dvc.reading import converging

    # Printed rulings are often much fainter than the ink: look for them in a mask that keeps faint lines,
    # and, since sensor noise can be as strong as a faint line, in the strength averaged along each axis.
    floor = _noise_floor(strength) if grid_floor is None else grid_floor
    level = RULE_LEVEL * _contrast(strength, floor)[0]
    faint = strength > max(floor, level)
    paper = float(np.median(strength))
    above = max(level, paper + RUN_NOISE * (floor - paper))
    along = _lines_along(strength, above)
    inside = np.ones_like(mask) if inside is None else inside
    # Rulings seen in perspective converge: made parallel and level by a projective transform, else
    # (parallel, the photo only turned) by a rotation.
    levelling = converging.levelling(strength > floor, MAX_TILT) if straighten else None
    if levelling is not None:
        shape = converging.output_shape(levelling, strength.shape)
        strength = converging.apply(levelling, strength, shape)
        mask, inside = (
            converging.apply(levelling, m.astype(np.float32), shape) > 0.5 for m in (mask, inside)
        )
        faint, along = strength > max(floor, level), _lines_along(strength, above)  # level lines now
    tilt = _rule_tilt(faint) if straighten and levelling is None else 0.0
    if tilt:
        strength = rotate(strength, tilt, resize=True, order=1, preserve_range=True)
        mask, faint, inside, *along = (
            rotate(m.astype(np.float32), tilt, resize=True, order=1) > 0.5
            for m in (mask, faint, inside, *along)
        )
    rules = _rules(faint, along, inside, strength, HIGH * _contrast(strength, floor)[0])
    # Rulings darker than the ink set no standard for it: threshold again without them. The rulings'
    # bands are cleared whole, so a lower threshold's wider line goes too.
    again = ink_mask(strength, exclude=rules, floor=grid_floor)
    cleaned = (mask if again is None else again) & ~rules
    if not digit_boxes(cleaned, inside, scan=not straighten):
        lines = _count_runs(rules.any(axis=1)) + _count_runs(rules.any(axis=0))
        # a lone stroke, or a page of nothing but lines
        return (mask if lines <= 1 else cleaned), strength, inside
    return cleaned, strength, inside


def _rules(
    mask: np.ndarray, along: list[np.ndarray], inside: np.ndarray, strength: np.ndarray, ink: float
) -> np.ndarray:
    """The bands of every ruling line within the picture's area ``inside``, found in ``along`` (the
    vertical and the horizontal lines' evidence), their pixels those of ``mask``: vertical lines first,
    then horizontal ones in what is left, so that where two rulings cross nothing stays. What a band
    keeps (writing on its line, rising above the line by ``ink`` somewhere) stays only where it joins
    writing off the lines: kept alone, it is the line's own noise."""
    from skimage.measure import label

    vertical, vertical_bands = (m.T for m in _rule_pixels(mask.T, along[0].T, inside.T, strength.T, ink))
    horizontal, horizontal_bands = _rule_pixels(mask & ~vertical, along[1] & ~vertical, inside, strength, ink)
    rules, bands = vertical | horizontal, vertical_bands | horizontal_bands
    pieces = label(mask & ~rules, connectivity=2)
    off_the_lines = np.unique(pieces[~bands & (pieces > 0)])
    return rules | ((pieces > 0) & ~np.isin(pieces, off_the_lines))


def _lines_along(strength: np.ndarray, above: float) -> list[np.ndarray]:
    """Evidence of vertical and of horizontal lines: where the strength averaged over RULE_RUN pixels
    along the axis exceeds its average across it by ``above``. A faint straight line shows there even
    where single pixels of it are lost in the noise; blots, strokes and paper, alike both ways, do not,
    and neither do the lines of the other direction."""
    from scipy.ndimage import uniform_filter1d

    down, across = (uniform_filter1d(strength, RULE_RUN, axis=axis) for axis in (0, 1))
    return [down - across > above, across - down > above]


def _rule_tilt(mask: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise) that makes the strongest long straight line axis-aligned,
    or 0 when there is no line long enough to be a ruling."""
    from skimage.measure import block_reduce
    from skimage.transform import hough_line

    factor = max(1, int(np.ceil(max(mask.shape) / 512)))
    small = block_reduce(mask, (factor, factor), np.max)
    tilts = np.arange(-MAX_TILT, MAX_TILT + 0.01, 0.25)
    best_votes, best_tilt = 0.0, 0.0
    for normal, extent in ((90.0, small.shape[1]), (0.0, small.shape[0])):  # horizontal, vertical lines
        accumulator, _, _ = hough_line(small, theta=np.deg2rad(normal + tilts))
        votes = accumulator.max(axis=0) / extent
        if votes.max() > best_votes:
            best_votes, best_tilt = float(votes.max()), float(tilts[votes.argmax()])
    return best_tilt if best_votes >= RULE_COVERAGE and abs(best_tilt) >= 0.25 else 0.0


def _rule_pixels(
    m: np.ndarray, found: np.ndarray, inside: np.ndarray, strength: np.ndarray, ink: float
) -> tuple[np.ndarray, np.ndarray]:
    """The bands of the horizontal ruling lines found in ``found`` (evidence of lines along the rows),
    where strokes of the mask ``m`` cross them left out: what the rulings' ink covers at any threshold.
    ``inside`` is the picture's area (a straightened photo has empty corners), which a ruling crosses
    from side to side. Within a band, pixels that stand out of the line itself (:func:`_ink_on_line`)
    are the pen's, written along the line: they stay. Also the bands themselves (their rows)."""
    height, width = m.shape
    # A line a few pixels off level across the picture (the straightening is to a quarter degree) still
    # counts: each row sees RULE_SLACK rows either side too.
    band = found.copy()
    for shift in range(1, RULE_SLACK + 1):
        band[shift:] |= found[:-shift]
        band[:-shift] |= found[shift:]
    coverage = band.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    columns = np.arange(width)
    max_thickness = max(3, round(RULE_THICKNESS * min(height, width))) + 2 * RULE_SLACK
    out, bands = np.zeros_like(m), np.zeros_like(m)
    for top, bottom in _runs(coverage >= RULE_COVERAGE):
        if bottom - top > max_thickness:
            continue  # a wide dark band (the page's edge, a stroke), not a thin line
        inked = columns[band[top:bottom].any(axis=0)]
        area = columns[inside[top:bottom].all(axis=0)]
        if area.size == 0:
            continue
        reach = RULE_REACH * area.size
        if inked[0] > area[0] + reach or inked[-1] < area[-1] - reach:
            continue
        crossing = m[max(top - 2, 0) : top].any(axis=0) & m[bottom : bottom + 2].any(axis=0)
        # The paper beside the line, where a shadow or a smudge raises it: the lower of its sides.
        sides = [strength[max(top - SIDE_ROWS, 0) : top], strength[bottom : bottom + SIDE_ROWS]]
        beside = np.min([np.median(side, axis=0) for side in sides if len(side)], axis=0)
        on_line = _ink_on_line(strength[top:bottom] - np.maximum(beside, 0), inside[top:bottom], ink)
        out[top:bottom] = ~crossing & ~on_line
        bands[top:bottom] = True
    return out, bands


def _ink_on_line(band: np.ndarray, inside: np.ndarray, ink: float) -> np.ndarray:
    """The pixels of a ruling line's band (its rows; ``inside``: which of them are in the picture) that
    stand out of the line itself: the line's own strength is each row's LINE_LEVEL percentile over
    blocks of LINE_BLOCK of its length (low, so that a stroke written along the line, covering much of a
    block, does not raise it), and writing is what rises above that by INK_ON_LINE times the spread of
    the band's rise (its noise), joined to a rise of ``ink`` (as ink rises above its paper: a shadow
    across the line, or its blur, rises less)."""
    from skimage.filters import apply_hysteresis_threshold

    columns = np.flatnonzero(inside.any(axis=0))
    block = max(1, round(LINE_BLOCK * columns.size))
    starts = np.arange(columns[0], columns[-1] + 1, block)
    levels = np.stack([_row_level(band[:, s : s + block], inside[:, s : s + block]) for s in starts], axis=1)
    middles = np.minimum(starts + block / 2, columns[-1])
    every = np.arange(band.shape[1])
    level = np.stack(
        [np.interp(every, middles[~np.isnan(row)], row[~np.isnan(row)]) if not np.isnan(row).all()
         else np.full(band.shape[1], np.inf) for row in levels]
    )  # fmt: skip
    rise = np.where(inside, band - level, -np.inf)
    core = rise[inside & np.isfinite(rise)]
    spread = _noise_spread(core)
    low = INK_ON_LINE * max(spread, 1.0)
    return apply_hysteresis_threshold(rise, low, max(low, ink))


def _row_level(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Each row's LINE_LEVEL percentile of ``values`` where ``inside`` (NaN for a row wholly outside)."""
    if inside.all():
        return np.percentile(values, LINE_LEVEL, axis=1)
    with warnings.catch_warnings():  # a row that lies outside the picture has no level
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(np.where(inside, values, np.nan), LINE_LEVEL, axis=1)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _count_runs(flags: np.ndarray) -> int:
    return len(_runs(flags))


def digit_boxes(
    mask: np.ndarray, inside: np.ndarray | None = None, split: Callable | None = None, scan: bool = False
) -> list[tuple[np.ndarray, tuple]]:
    """The digits of the mask, left to right, each as the crop of its own components (bool) and where
    that crop lies (a pair of slices). Writing that may hold touching digits is cut by ``split(crop,
    where)`` (by default :func:`_split`). In a ``scan`` (a small picture: a crop), a straight stroke from
    edge to edge is a "1" cropped tight; in a photo, it is a line across the picture.

    Components closer than half a height to one another and overlapping in x form one digit (a "5" whose
    bar is apart); the largest digit sets the line of writing, and others of similar height on that line,
    near enough to it, join it: a number such as "2025".
    """
    from skimage.measure import label, regionprops
    from skimage.morphology import skeletonize

    labels = label(mask, connectivity=2)
    regions = regionprops(labels)
    if not regions:
        return []
    frame = _frame(mask.shape, inside)
    largest = max(regions, key=lambda r: r.area)
    # Small marks cut by the picture's edge are the edge's doing (vignetting, the page's border, a table):
    # dropped before grouping, so that they cannot join a digit above them, and again as groups below.
    # Unless the writing itself runs into the edge (a digit cropped tight, as large as the picture's
    # short side by TIGHT_SHARE): then they are its strokes.
    short = min(frame[2] - frame[0], frame[3] - frame[1])
    skeleton = skeletonize(mask)
    skeleton_length = np.bincount(labels[skeleton], minlength=labels.max() + 1)
    cropped_tight = (
        _at_edge([largest], frame, reach=TIGHT_CROP * short)
        and _long_side([largest]) >= TIGHT_SHARE * short
        and not _ruled_line([largest], _stroke_width([largest], skeleton_length), frame, tight=scan)
    )
    pieces = [
        r for r in regions
        if r.area >= max(4, SPECK * largest.area) and (cropped_tight or not _small_at_edge([r], frame))
    ]  # fmt: skip
    pieces = [r for r in pieces if not _is_outline(r, pieces)]
    if not (cropped_tight and _at_edge([largest], frame)):
        # Writing cut off by the picture's edge has straight sides there, box or not; a box near the
        # edge that it does not reach is still a box.
        pieces = _without_boxes(pieces, skeleton, skeleton_length)
    groups = [_without_stray_dots(g) for g in _group(pieces)]
    # Writing is made of strokes: a group whose ink is as thick as it is large is a shadow or a blot.
    groups = [g for g in groups if _stroke_width(g, skeleton_length) <= MAX_STROKE_SHARE * _long_side(g)]
    groups = [g for g in groups if cropped_tight or not _small_at_edge(g, frame)]
    # A straight line across the picture, or far from upright, is a ruler's or an edge's, not writing.
    pens = [_stroke_width(g, skeleton_length) for g in groups]
    groups = [g for g, pen in zip(groups, pens, strict=True) if not _ruled_line(g, pen, frame, cropped_tight)]
    if not groups:
        return []
    boxes = [_box(group) for group in groups]
    # A sliver far wider than tall is what is left of a line (or a lone bar): never a digit of its own.
    # Touching digits of a number are wide too, but tall against their stroke width.
    shaped = [
        i for i in range(len(groups))
        if _width(groups[i]) <= MAX_ASPECT * (boxes[i][2] - boxes[i][0])
        or boxes[i][2] - boxes[i][0] >= NUMBER_STROKES * _stroke_width(groups[i], skeleton_length)
    ]  # fmt: skip
    if not shaped:
        return []
    main = max(shaped, key=lambda i: sum(r.area for r in groups[i]))
    top, bottom = boxes[main][0], boxes[main][2]
    height = bottom - top
    if height < max(
        6, MIN_DIGIT_HEIGHT * max(frame[2] - frame[0], frame[3] - frame[1])
    ):  # the largest writing too small: no digit
        return []

    def on_the_row(box: tuple) -> bool:
        t, b = box[0], box[2]
        overlap = min(b, bottom) - max(t, top)
        return (
            MIN_HEIGHT_SHARE * height <= b - t <= MAX_HEIGHT * height
            and overlap >= SAME_ROW * min(b - t, height)
        )  # fmt: skip

    row = sorted((i for i in shaped if on_the_row(boxes[i])), key=lambda i: boxes[i][1])
    # The run of digits around the main one whose gaps stay small: farther writing is something else.
    start = stop = row.index(main)
    while start > 0 and boxes[row[start]][1] - boxes[row[start - 1]][3] <= MAX_GAP * height:
        start -= 1
    while stop < len(row) - 1 and boxes[row[stop + 1]][1] - boxes[row[stop]][3] <= MAX_GAP * height:
        stop += 1
    crops = []
    for i in row[start : stop + 1]:
        t, left, b, right = boxes[i]
        where = np.s_[t:b, left:right]
        crop = np.isin(labels[where], [region.label for region in groups[i]])
        # Touching digits are wide but tall against their pen; a flat scribble is not a number.
        tall = b - t >= NUMBER_STROKES * _stroke_width(groups[i], skeleton_length)
        crops.extend((split or _split)(crop, where) if tall else [(crop, where)])
    return crops


def _split(crop: np.ndarray, where: tuple, height: int | None = None) -> list[tuple[np.ndarray, tuple]]:
    """A crop wider than SPLIT_ASPECT heights (touching or overlapping digits of a number) cut in two at
    its deepest valley of ink, each part at least MIN_PART of its height wide, and each part again until
    none is that wide; a crop of one digit as it is. Each part is trimmed to its ink; ``height`` is the
    number's, which its parts keep."""
    rows, cols = where
    ys, xs = np.nonzero(crop)
    if ys.size == 0:
        return []
    t, b, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = crop[t:b, left:right]
    where = np.s_[rows.start + t : rows.start + b, cols.start + left : cols.start + right]
    height = height or crop.shape[0]
    width = crop.shape[1]
    margin = int(MIN_PART * height)
    if width <= SPLIT_ASPECT * height or width <= 2 * margin:
        return [(crop, where)]
    profile = crop.sum(axis=0)
    cut = margin + int(np.argmin(profile[margin : width - margin]))
    if min(_ink_height(crop[:, :cut]), _ink_height(crop[:, cut:])) < PART_HEIGHT * height:
        return [(crop, where)]  # a part as flat as a stroke: a digit's long bar or tail, not a digit
    rows, cols = where
    return [
        *_split(crop[:, :cut], np.s_[rows, cols.start : cols.start + cut], height),
        *_split(crop[:, cut:], np.s_[rows, cols.start + cut : cols.stop], height),
    ]


def _read_apart(
    crop: np.ndarray, where: tuple, strength: np.ndarray, judge: Judge
) -> list[tuple[np.ndarray, tuple]]:
    """:func:`_split`'s task done by :func:`mnist_dvc.reading.segment.cut_by_reading`, each part drawn as the
    models will receive it (:func:`mnist_digit`) and trimmed to its ink."""

    def draw(part: np.ndarray) -> np.ndarray:
        piece, box = _trimmed(part, where)
        return mnist_digit(piece, strength[box])

    return [_trimmed(part, where) for part in cut_by_reading(crop, judge, draw)]


def _trimmed(part: np.ndarray, where: tuple) -> tuple[np.ndarray, tuple]:
    """A part of a crop cut to its ink, and where that lies (``where``: the crop's own place)."""
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    top, left = where[0].start, where[1].start
    box = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return part[box], np.s_[top + rows[0] : top + rows[-1] + 1, left + cols[0] : left + cols[-1] + 1]


def _ink_height(crop: np.ndarray) -> int:
    rows = np.flatnonzero(crop.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _group(regions: list) -> list[list]:
    """Components that overlap in x and are vertically close belong to one digit; merged groups are
    compared again until nothing changes (a digit in three pieces)."""
    groups = [[region] for region in regions]
    while True:
        boxes = [_box(group) for group in groups]
        root = _union(len(groups), [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                                    if _same_digit(boxes[i], boxes[j])])  # fmt: skip
        merged: dict[int, list] = {}
        for i, group in enumerate(groups):
            merged.setdefault(root[i], []).extend(group)
        if len(merged) == len(groups):
            return groups
        groups = list(merged.values())


def _same_digit(a: tuple, b: tuple) -> bool:
    """Boxes (top, left, bottom, right) that overlap in x, or nearly (SAME_DIGIT_GAP of the taller one's
    height: a stroke lifted and set down again), less than half a height apart vertically; a flat piece
    (a 5's or a 7's bar, written apart) up to BAR_GAP of a height, above the digit's middle. Pieces side
    by side (overlapping vertically, of similar heights) must overlap in x by SIDE_OVERLAP of the
    narrower one."""
    height = max(a[2] - a[0], b[2] - b[0])
    overlap_x = min(a[3], b[3]) - max(a[1], b[1])
    flats = [box for box in (a, b) if box[3] - box[1] >= 2 * (box[2] - box[0])]
    if len(flats) == 1:
        line, other = flats[0], (b if flats[0] is a else a)
        if line[0] >= (other[0] + other[2]) / 2 and line[3] - line[1] >= UNDERLINE * (line[2] - line[0]):
            return False  # a straight line below a digit is an underline, not its bar
    gap = max(a[0], b[0]) - min(a[2], b[2])
    low, high = sorted((a[2] - a[0], b[2] - b[0]))
    side_by_side = -gap >= 0.5 * low and low >= SIDE_HEIGHT * high  # two digits of a number
    if side_by_side and not flats:
        # Neighbours in a slanted number overlap a little in x; a digit's own strokes overlap a lot.
        return overlap_x >= SIDE_OVERLAP * min(a[3] - a[1], b[3] - b[1])
    return overlap_x > -SAME_DIGIT_GAP * height and gap <= (BAR_GAP if flats else 0.5) * height


def _without_boxes(pieces: list, skeleton: np.ndarray, skeleton_length: np.ndarray) -> list:
    """The pieces without a box's outline (:mod:`mnist_dvc.reading.outlines`): a piece that is one, drawn in
    one stroke, and the pieces that together are one, drawn in several, its corners left open; what
    lies within a box's sides (the digit it holds) stays."""
    from mnist_dvc.reading.outlines import box_inside, within

    def outline(group: list) -> np.ndarray | None:
        points = np.concatenate([r.coords for r in group])
        centre = points[skeleton[points[:, 0], points[:, 1]]].astype(float)
        return box_inside(points.astype(float), centre, _stroke_width(group, skeleton_length))

    def one_box(region) -> bool:  # its own ink along its sides, none across its middle (an "8"'s waist)
        inner = outline([region])
        if inner is None:
            return False
        middle = inner.mean(axis=0) + MIDDLE * (inner - inner.mean(axis=0))
        return not within(region.coords[skeleton[tuple(region.coords.T)]], middle).any()

    kept = [r for r in pieces if not one_box(r)]
    inner = outline(kept) if len(kept) > 1 else None
    if inner is None:
        return kept
    # The box's own strokes lie along its sides, outside the area within them; what it holds lies in
    # that area. A piece partly in it (a "0" that begins a number) says the pieces are no box.
    inside = [float(within(r.coords, inner).mean()) for r in kept]
    if any(ALONG_BOX < share < HELD for share in inside):
        return kept
    return [r for r, share in zip(kept, inside, strict=True) if share >= HELD]


def _union(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Union-find: each of ``n`` items -> the representative of its connected set."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[find(i)] = find(j)
    return [find(i) for i in range(n)]


def _without_stray_dots(group: list) -> list:
    """The group without dots beyond its strokes: a small, compact piece (under DOT_SHARE of the group's
    ink, under DOT_SIZE of its height across) whose removal shortens the group by more than a tenth: chalk
    dust or a speck above or below a digit. A stroke's own broken pieces lie along it and shorten nothing,
    and a 5's separate bar is long, not compact."""
    while len(group) > 1:
        total, full = sum(r.area for r in group), _height(group)
        rest = {id(r): [q for q in group if q is not r] for r in group}
        strays = [
            r for r in group
            if r.area < DOT_SHARE * total and max(np.ptp(r.coords, axis=0)) < DOT_SIZE * full
            and _height(rest[id(r)]) < 0.9 * full
        ]  # fmt: skip
        if not strays:
            return group
        group = rest[id(min(strays, key=lambda r: r.area))]
    return group


def _stroke_width(group: list, skeleton_length: np.ndarray) -> float:
    """Mean stroke width of a group of components: ink area per pixel of centre line."""
    return sum(r.area for r in group) / max(1, sum(int(skeleton_length[r.label]) for r in group))


def _ruled_line(group: list, pen: float, frame: tuple[int, int, int, int], tight: bool = False) -> bool:
    """A straight line that no hand writes as a digit: straight (its ink within a band of LINE_BAND pen
    widths, or of that share of its length), and either far from upright (a "1" leans less than
    ONE_LEAN degrees) or running across the picture (LONG_LINE of its long side, both ends near its edges:
    a table's or a page's edge, a line drawn with a ruler; unless the picture is ``tight`` round it: a "1"
    cropped tight). A long "1" drawn on a canvas ends inside it."""
    coords = np.concatenate([r.coords for r in group]).astype(float)
    centred = coords - coords.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred.T))
    across = np.sqrt(max(float(values[0]), 0.0))
    length = float(np.ptp(centred @ vectors[:, 1]))
    if across > max(LINE_BAND * pen, LINE_BAND * length / 10):
        return False
    lean = np.degrees(np.arccos(min(1.0, abs(float(vectors[0, 1])))))  # from the vertical (rows axis)
    if lean > ONE_LEAN:
        return True
    # An upright line is a "1" unless it runs across the picture, from near one edge to near the other.
    ends = coords[np.argsort(centred @ vectors[:, 1])[[0, -1]]]
    near = LINE_REACH * min(frame[2] - frame[0], frame[3] - frame[1])
    # Both ends near the edges, and not only near one and the same edge: a "1" written beside a note's
    # edge, its ends short of the corners, runs along that edge, not across the picture.
    first, last = (_edges_near((*end, *end), frame, near) for end in ends)
    across_picture = bool(first and last and first != last)
    long_side = max(frame[2] - frame[0], frame[3] - frame[1])
    # From one edge to the opposite one: a crease or an edge across a page, however wide the page.
    reached = _edges_near((*ends.min(axis=0), *ends.max(axis=0)), frame, near)
    edge_to_edge = {"top", "bottom"} <= reached or {"left", "right"} <= reached
    return ((length >= LONG_LINE * long_side and across_picture) or edge_to_edge) and not tight


def _edges_near(box: tuple, frame: tuple[int, int, int, int], reach: float) -> set[str]:
    """Which of the picture's edges (``frame``: top, left, bottom, right) ``box`` (top, left, bottom,
    right; a point is a box with no size) reaches within ``reach`` pixels of."""
    top, left, bottom, right = box
    near = (
        top <= frame[0] + reach,
        left <= frame[1] + reach,
        bottom >= frame[2] - reach,
        right >= frame[3] - reach,
    )
    return {edge for edge, close in zip(("top", "left", "bottom", "right"), near, strict=True) if close}


def _is_outline(region, pieces: list) -> bool:
    """A rectangle's outline (a box drawn around a digit, a form's field, a page's or a note's edge): a
    thin closed line that, filled, is nearly its whole bounding box (OUTLINE_FILL; a written 0 is round
    and leaves the box's corners out: an ellipse fills 79% of it), or, around another piece of writing,
    BOX_FILL of it (a box drawn by hand, seen at an angle)."""
    filled = region.area_filled
    if region.area > (1 - OUTLINE_HOLE) * filled:
        return False
    top, left, bottom, right = region.bbox
    around = any(
        top < p.centroid[0] < bottom and left < p.centroid[1] < right for p in pieces if p is not region
    )
    return filled >= (BOX_FILL if around else OUTLINE_FILL) * region.area_bbox


def _frame(shape: tuple[int, int], inside: np.ndarray | None) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the picture's own area within the mask (all of it by default)."""
    if inside is None:
        return 0, 0, shape[0], shape[1]
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _box_at_edge(box: tuple, frame: tuple[int, int, int, int], reach: float) -> bool:
    """Whether ``box`` (top, left, bottom, right) reaches within ``reach`` pixels of the picture's edge
    (``frame``: top, left, bottom, right)."""
    return bool(_edges_near(box, frame, reach))


def _at_edge(group: list, frame: tuple[int, int, int, int], reach: float = 2) -> bool:
    """Within ``reach`` pixels of the picture's edge (``frame``: top, left, bottom, right)."""
    return _box_at_edge(_box(group), frame, reach)


def _at_edge_box(where: tuple, frame: tuple[int, int, int, int]) -> bool:
    """Whether a crop (a pair of slices) reaches within TIGHT_CROP of the picture's edge."""
    rows, cols = where
    reach = TIGHT_CROP * min(frame[2] - frame[0], frame[3] - frame[1])
    return _box_at_edge((rows.start, cols.start, rows.stop, cols.stop), frame, reach)


def _small_at_edge(group: list, frame: tuple[int, int, int, int]) -> bool:
    """Touching the picture's edge, and smaller than EDGE_MARK of its short side."""
    short = min(frame[2] - frame[0], frame[3] - frame[1])
    return _at_edge(group, frame) and _long_side(group) < EDGE_MARK * short


def _height(group: list) -> int:
    top, _, bottom, _ = _box(group)
    return bottom - top


def _width(group: list) -> int:
    _, left, _, right = _box(group)
    return right - left


def _long_side(group: list) -> int:
    top, left, bottom, right = _box(group)
    return max(bottom - top, right - left)


def _box(group: list) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) around every component of the group."""
    boxes = np.array([r.bbox for r in group])
    return int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())


def scan_digit(
    strength: np.ndarray, box: tuple, frame: tuple[int, int, int, int], floor: float = SCAN_FLOOR
) -> np.ndarray:
    """A digit cropped tight (a scanned form's cell, a small scan) -> 28x28 in [0, 1]: as MNIST was made
    from its scans, its ink as it is, every shade above ``floor`` of its darkest, cropped to that ink
    (within the picture, around the digit's box), fitted into 20x20 and centred by mass. A small blurred
    scan's shades hold loops and strokes' ends that any threshold loses."""
    from PIL import Image

    rows, cols = box
    grow = round(SCAN_GROW * max(rows.stop - rows.start, cols.stop - cols.start))
    area = np.s_[
        max(frame[0], rows.start - grow) : min(frame[2], rows.stop + grow),
        max(frame[1], cols.start - grow) : min(frame[3], cols.stop + grow),
    ]
    ink = np.clip(strength[area] / max(float(strength[box].max()), 1e-6), 0, 1).astype(np.float32)
    ink[ink < floor] = 0
    ys, xs = np.nonzero(ink)
    ink = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = ink.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return centre_by_mass(
        np.clip(np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS)), 0, 1)
    )


def mnist_digit(crop: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """One digit (its bool crop, and the ink strength there) -> 28x28 in [0, 1].

    A pen close to MNIST's own (KEEP_PEN, as a share of the digit's size: a scan of a digit, a drawing
    with a felt pen) is kept as written, only scaled: redrawing would change a digit the models already
    read as it is. A hairline ballpoint, chalk or a fat marker is redrawn with MNIST's pen."""
    if KEEP_PEN[0] <= pen_share(crop) <= KEEP_PEN[1]:
        return scale_ink(crop, strength)
    return redraw(crop)


def pen_share(crop: np.ndarray) -> float:
    """A digit's pen width (its ink over its skeleton's length) as a share of its long side."""
    from skimage.morphology import skeletonize

    return float(crop.sum() / max(1, skeletonize(crop).sum()) / max(crop.shape))


def scale_ink(crop: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """The digit's own ink (strength within its components and their edge), scaled to fit 20x20
    (anti-aliased, aspect kept) and centred by mass: how MNIST itself was made from its scans."""
    from PIL import Image
    from skimage.morphology import dilation, disk

    ink = np.where(dilation(crop, disk(1)), strength, 0).astype(np.float32)
    ink = np.clip(ink / max(float(np.percentile(strength[crop], 90)), 1e-6), 0, 1)
    h, w = ink.shape
    factor = BOX / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return centre_by_mass(
        np.clip(np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS)), 0, 1)
    )


def redraw(crop: np.ndarray) -> np.ndarray:
    """One digit's ink (bool crop) -> 28x28 in [0, 1]: its skeleton drawn with MNIST's pen, fitted into
    20x20 (aspect kept) and placed so that its centre of mass is at the centre, as MNIST was made.

    The skeleton itself is fitted to the box (the ink's outline is wider by the old pen), so a fat
    marker's digit keeps its proportions."""
    from skimage.measure import block_reduce
    from skimage.morphology import dilation, disk
    from skimage.transform import resize

    h, w = crop.shape
    inner = BOX * OVERSAMPLE - 2 * PEN_RADIUS  # the skeleton's box, so the drawn stroke fits BOX
    factor = inner / max(h, w)
    shape = (max(1, round(h * factor)), max(1, round(w * factor)))
    # Shrinking averages a thin line away: keep any pixel it touched. Enlarging: a smooth outline.
    scaled = resize(crop.astype(np.float32), shape, order=1, anti_aliasing=factor < 1)
    skeleton = stroke_skeleton(scaled > (0.15 if factor < 1 else 0.5))
    if not skeleton.any():  # a dot: its centre
        skeleton[shape[0] // 2, shape[1] // 2] = True
    rows, cols = np.nonzero(skeleton)
    extent = max(np.ptp(rows), np.ptp(cols))
    lines = draw_skeleton(skeleton, (inner - 1) / extent if extent else 1.0, PEN_RADIUS + 1)
    stroke = dilation(lines, disk(PEN_RADIUS)).astype(np.float32)
    rows, cols = np.nonzero(stroke)
    stroke = stroke[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    pad = [(0, -s % OVERSAMPLE) for s in stroke.shape]
    small = block_reduce(np.pad(stroke, pad), (OVERSAMPLE, OVERSAMPLE), np.mean)
    return centre_by_mass(small)


def draw_skeleton(skeleton: np.ndarray, factor: float, margin: int) -> np.ndarray:
    """The skeleton's pixels scaled by ``factor`` from its top-left corner, each joined to its neighbours
    by a straight line (so enlarging leaves no gaps), on a canvas with ``margin`` pixels all round."""
    ys, xs = np.nonzero(skeleton)
    top, left = ys.min(), xs.min()
    height, width = round(np.ptp(ys) * factor) + 1, round(np.ptp(xs) * factor) + 1
    canvas = np.zeros((height + 2 * margin, width + 2 * margin), bool)
    steps = np.linspace(0, 1, int(np.ceil(factor * 1.5)) + 1)[:, None]
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1), (1, -1)):
        y2, x2 = ys + dy, xs + dx
        inside = (y2 < skeleton.shape[0]) & (x2 >= 0) & (x2 < skeleton.shape[1])
        joined = np.zeros_like(inside)
        joined[inside] = skeleton[y2[inside], x2[inside]]
        y = ys[joined] + dy * steps  # points along each join, (steps, joins)
        x = xs[joined] + dx * steps
        canvas[
            np.rint((y - top) * factor).astype(int) + margin,
            np.rint((x - left) * factor).astype(int) + margin,
        ] = True
    return canvas


def stroke_skeleton(mask: np.ndarray) -> np.ndarray:
    """The centre line of the strokes of ``mask``, without the spurs a wide stroke's corners grow.

    A spur is a branch from an end point to a junction shorter than SPUR stroke widths (the width being
    the mask's area per pixel of skeleton): about what reaches from the centre line into a corner of a
    wide stroke. Removing such branches leaves the strokes the pen drew.
    """
    from scipy.ndimage import convolve
    from skimage.measure import label
    from skimage.morphology import skeletonize

    skeleton = skeletonize(mask)
    if not skeleton.any():
        return skeleton
    width = mask.sum() / skeleton.sum()
    neighbours = convolve(
        skeleton.astype(np.uint8), np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]]), mode="constant"
    )
    junctions = skeleton & (neighbours >= 3)
    ends = skeleton & (neighbours == 1)
    branches = label(skeleton & ~junctions, connectivity=2)
    near_junction = convolve(junctions.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") > 0
    sizes = np.bincount(branches.ravel())
    short = [b for b in np.unique(branches[ends]) if b and sizes[b] <= SPUR * width]
    spurs = [b for b in short if near_junction[branches == b].any()]
    return skeleton & ~np.isin(branches, spurs)


def centre_by_mass(box: np.ndarray) -> np.ndarray:
    """Place ``box`` (at most 28x28) in 28x28 so its centre of mass lands on the centre, inside the image."""
    hb, wb = box.shape
    total = box.sum()
    cy = (box.sum(axis=1) * np.arange(hb)).sum() / total
    cx = (box.sum(axis=0) * np.arange(wb)).sum() / total
    top = int(np.clip(round(SIDE / 2 - 0.5 - cy), 0, SIDE - hb))
    left = int(np.clip(round(SIDE / 2 - 0.5 - cx), 0, SIDE - wb))
    digit = np.zeros((SIDE, SIDE), np.float32)
    digit[top : top + hb, left : left + wb] = box
    return digit
