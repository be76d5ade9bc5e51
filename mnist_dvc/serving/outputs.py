"""What `mnist-dvc predict` writes: a line per input (predictions.txt), the --probs rows, the --picture
figure, and what it says when done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_dvc.reading.digits import Digits

PICTURE_LIMIT = 16
# How a picture's line in the output reads when it is not one digit (README, "Use the models").
NO_DIGIT = "-"  # nothing written on it: a blank page, only ruling lines, a photo of something else
SEVERAL = "?"  # several digits side by side, and --number was not given


@dataclass
class Prediction:
    sources: list[str]  # "file" or "file[i]", one per digit image, in input order
    images: np.ndarray  # (N, 28, 28) in [0, 1], what the models were given (before normalization)
    probs: np.ndarray  # (N, 10)
    by_reader: np.ndarray | None = None  # (N,) bool: read by the number reader, not the models

    @property
    def digits(self) -> np.ndarray:
        """The digit each image is read as."""
        return self.probs.argmax(axis=1)


@dataclass
class Line:
    """One line of the output: a digit of a tensor file, or a whole picture (none, one or several)."""

    source: str
    digits: list[int]  # what the models read, left to right
    confidence: list[float]
    picture: bool

    def text(self, number: bool) -> str:
        if not self.digits:
            return NO_DIGIT
        if len(self.digits) > 1 and not number:
            return SEVERAL
        return "".join(map(str, self.digits))


def output_lines(inputs: list[Digits], prediction: Prediction) -> list[Line]:
    """A line per picture, and per image of a tensor, .npy or IDX file, in input order."""
    lines, k = [], 0
    for d in inputs:
        n = len(d.images)
        digits = [int(v) for v in prediction.digits[k : k + n]]
        confidence = [float(v) for v in prediction.probs[k : k + n].max(axis=1)]
        if d.picture:
            lines.append(Line(str(d.path), digits, confidence, True))
        else:
            lines.extend(
                Line(s, [v], [c], False) for s, v, c in zip(d.sources(), digits, confidence, strict=True)
            )
        k += n
    return lines


def probs_rows(prediction: Prediction, lines: list[Line]) -> list[dict]:
    """One row per digit image for ``--probs``: its source, the predicted digit, the ten probabilities;
    and a row for each picture with no digit, its digit and probabilities empty."""
    rows = iter(
        {"source": source, "predicted": int(digit), **{f"p{c}": float(v) for c, v in enumerate(p)}}
        for source, digit, p in zip(prediction.sources, prediction.digits, prediction.probs, strict=True)
    )
    out = []
    for line in lines:
        if line.digits:
            out.extend(next(rows) for _ in line.digits)
        else:
            out.append({"source": line.source, "predicted": NO_DIGIT, **{f"p{c}": "" for c in range(10)}})
    return out


def picture_png(prediction: Prediction, model_label: str) -> bytes:
    from mnist_dvc.pictures import png_bytes, probability_rows

    n = min(PICTURE_LIMIT, len(prediction.sources))
    titles = [_short(s) for s in prediction.sources[:n]]
    if prediction.by_reader is not None:  # the images there are where the reader read each digit
        titles = [
            f"{t}\nnumber reader" if r else t for t, r in zip(titles, prediction.by_reader, strict=False)
        ]
    more = f" (first {n} of {len(prediction.sources)})" if len(prediction.sources) > n else ""
    if n == 0:
        more = ": no digit found in any input"
    return png_bytes(
        probability_rows(prediction.images[:n], prediction.probs[:n], titles, f"{model_label}{more}")
    )


def _short(source: str, width: int = 28) -> str:
    name = Path(source).name
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def summary(lines: list[Line], files: int, label: str, out: str, number: bool) -> str:
    """What the command says when done: one picture's answer, or counts for many."""
    if len(lines) == 1:
        line = lines[0]
        if not line.digits:
            return f"{line.source}: no digit found -> {out} ({NO_DIGIT})"
        shares = " ".join(f"{c:.0%}" for c in line.confidence)
        if len(line.digits) == 1:
            return f"{line.source}: {line.digits[0]} ({shares}) -> {out}"
        digits = " ".join(map(str, line.digits))
        hint = "" if number else f"; written {SEVERAL}, --number writes them as one number"
        return f"{line.source}: {len(line.digits)} digits side by side: {digits} ({shares}){hint} -> {out}"
    counts = np.bincount([d for line in lines for d in line.digits], minlength=10)
    blank = [line for line in lines if not line.digits]
    several = [line for line in lines if len(line.digits) > 1]
    text = [
        f"mnist-dvc predict: {len(lines)} lines from {files} file(s) with {label} -> {out}",
        "  digits read, count per digit: " + "  ".join(f"{d}: {c}" for d, c in enumerate(counts)),
    ]
    if blank:
        text.append(f"  no digit found ({NO_DIGIT}): {len(blank)}")
    if several:
        text.append(
            f"  several digits side by side: {len(several)}"
            + ("" if number else f" (written {SEVERAL}; --number writes them as one number)")
        )
    return "\n".join(text)
