"""Ruling lines (a notebook's, a grid's, a form's) found and taken out of the ink, the writing on them
kept."""

from __future__ import annotations

import warnings

import numpy as np

from mnist_dvc.reading.ink import HIGH, contrast_of, ink_mask, noise_floor, noise_spread
from mnist_dvc.reading.pieces import digit_boxes

MAX_TILT = 10.0  # degrees: a photo tilted up to this much is straightened by its ruling lines

RULE_COVERAGE = 0.5  # a ruling line's ink covers at least this share of the picture's width (height)...

RULE_REACH = 0.12  # ...reaches within this share of both edges...

RULE_THICKNESS = 0.025  # ...and is at most this share of the short side thick (3 pixels at least)

RULE_LEVEL = 0.15  # rulings are looked for down to this share of the ink's contrast

LINE_LEVEL = 30  # percentile: a ruling line's own strength, along it...

LINE_BLOCK = 0.25  # ...over blocks of this share of its length...

INK_ON_LINE = 4.0  # ...and ink on the line rises this many times the line's noise above that...

SIDE_ROWS = 3  # ...and above the paper this many rows beside the line

RULE_SLACK = 3  # pixels: how far a ruling line may wander from level across the straightened picture

RULE_RUN = 15  # pixels: rulings are also looked for in the strength averaged this far along them...

RUN_NOISE = 0.5  # ...where the noise above the paper is at most this share of a single pixel's


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
    floor = noise_floor(strength) if grid_floor is None else grid_floor
    level = RULE_LEVEL * contrast_of(strength, floor)[0]
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
    rules = _rules(faint, along, inside, strength, HIGH * contrast_of(strength, floor)[0])
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
    spread = noise_spread(core)
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
