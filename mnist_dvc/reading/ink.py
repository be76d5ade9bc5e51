"""The ink of a picture: a working copy, its paper, how strongly each pixel stands out as ink from it, and
the ink's mask."""

from __future__ import annotations

import numpy as np

POLARITY_MARGIN = 2.0  # the polarity against the picture's brightness needs this much more contrast
BOARD_BRIGHTNESS = 100  # on 0-255: a picture whose median is darker is first taken for a board. A sheet or
# a note photographed in dim light is darker than mid-grey (115-130 among the benchmark's photos, whose
# chalkboards are 35-55)

WORK_LONG_SIDE = 1024  # larger pictures are shrunk (anti-aliased) to this long side first

WORK_SHORT_SIDE = 112  # smaller ones (a 28x28 scan) are enlarged, so strokes are several pixels wide

BACKGROUND_SHARE = 0.25  # of the short side: the paper estimate's footprint, wider than any stroke

MIN_CONTRAST = 32.0  # on 0-255: ink fainter than this against its paper is no ink (a blank picture)

NOISE_MADS = 6.0  # ink stands this many median absolute deviations above the paper's residue...

CLEAR_OF_NOISE = 1.5  # ...and its typical contrast is this many times that floor: else it is noise

LOW, HIGH = 0.3, 0.55  # hysteresis thresholds, as shares of the ink's typical contrast

GRID_INK = 1.15  # on a page that a grid covers, writing is this many times as dark as the grid

CHANNEL_GAIN = 1.5  # a colour channel replaces the brightness when its ink contrast is this much larger

MIN_PAPER_LEVEL = 60.0  # ...and the paper is at least this bright in it (else its ratios are noise)

NORMAL_MAD = 0.6744897501960817  # a standard normal's median absolute deviation


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
        noise = noise_spread(sample) + 1.0
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
    if np.median(gray) >= BOARD_BRIGHTNESS:
        return "light" if lighter > POLARITY_MARGIN * darker else "dark"
    return "dark" if darker > POLARITY_MARGIN * lighter else "light"


def _smooth(strength: np.ndarray) -> np.ndarray:
    """A light Gaussian: sensor noise and JPEG blocks average out, strokes (several pixels) stay."""
    from skimage.filters import gaussian

    return gaussian(strength, sigma=1.0, preserve_range=True)


def noise_spread(values: np.ndarray) -> float:
    """The standard deviation of normal noise among ``values``, from their median absolute deviation,
    which the few strokes among them do not raise (0 for no values). Written out: importing
    scipy.stats for it took longer than reading a whole photo."""
    if not values.size:
        return 0.0
    values = np.ravel(values)
    return float(np.median(np.abs(values - np.median(values))) / NORMAL_MAD)


def noise_floor(strength: np.ndarray, lightest: bool = False) -> float:
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
        spread = noise_spread(strength)
    return max(median + NOISE_MADS * spread, LOW * MIN_CONTRAST)


def stands_out(mask: np.ndarray, strength: np.ndarray, floor: float) -> bool:
    """Whether the writing left in ``mask`` is GRID_INK times as strong as the typical pixel above the
    ``floor``, which on such a page is the grid's: what is left of the lines of an empty page is not."""
    return bool(mask.any()) and np.median(strength[mask]) >= GRID_INK * np.median(strength[strength > floor])


def contrast_of(
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
    ``floor`` (:func:`noise_floor` by default). None when nothing stands out by MIN_CONTRAST (a blank
    page, a photo with no writing)."""
    from skimage.filters import apply_hysteresis_threshold

    floor = noise_floor(strength) if floor is None else floor
    contrast, strongest = contrast_of(strength, floor, exclude, (90, 99))
    # Faint rulings can outnumber the writing, and set the typical contrast: the gate asks only that the
    # strongest ink reach MIN_CONTRAST.
    if contrast < CLEAR_OF_NOISE * floor or strongest < MIN_CONTRAST:
        return None
    return apply_hysteresis_threshold(strength, max(floor, LOW * contrast), max(floor, HIGH * contrast))
