"""What the app's page answers, without the page: a drawing or an upload read once into the digits the
models receive (as `mnist-dvc predict` reads it), every model's probabilities for them, and where each
model looked. :mod:`mnist_dvc.serving.app` puts these on a gradio page."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnist_dvc.models.trained_models import TrainedModel, each_model_log_proba, probabilities
from mnist_dvc.reading import InputError
from mnist_dvc.reading.digits import read_digits
from mnist_dvc.reading.number_reader import overruled
from mnist_dvc.reading.picture_files import picture_digits, working_rgb
from mnist_dvc.reading.segment import Judge


class Received(NamedTuple):
    """What the models receive from a drawing or an upload: digits (N, 28, 28) in [0, 1], and the number
    reader's probabilities for those it read (NaN rows where the models read; None: it read none)."""

    images: np.ndarray
    read: np.ndarray | None = None


DRAW_FIRST = "Draw a digit first (or drop a picture)."
NOTHING_FOUND = "No digit found: nothing written, or only ruling lines. Draw one, or drop another picture."


def digits_from_canvas(canvas, judge: Judge | None = None, reader=None) -> Received:
    """A gradio sketchpad value (its ``composite``, RGBA, transparent where nothing was drawn) or an
    image array -> the 28x28 digits the models receive, left to right, and what the number ``reader``
    read of them. InputError when there are none.
    A drawing has an upload's pixel limit and working size (gradio refuses one past the limit before
    decoding it: :func:`start` sets PIL's limit)."""
    from PIL import Image

    array = canvas.get("composite") if isinstance(canvas, dict) else canvas
    if array is None:
        raise InputError(DRAW_FIRST)
    drawing = working_rgb(Image.fromarray(np.asarray(array, np.uint8)), "the drawing")
    found = picture_digits(drawing, judge=judge, reader=reader)
    if len(found.digits) == 0:
        raise InputError(DRAW_FIRST)
    return Received(found.digits, found.read)


class Inputs:
    """What the models receive from a drawing or an upload, made once per input: the answers and the
    "why" picture that follows them both need it, and reading a photo is the slow part. The last
    ``remembered`` inputs are kept, by the drawing's pixels or the upload's path, size and time."""

    def __init__(self, judge: Judge | None, reader=None, remembered: int = 8):
        self.judge, self.reader, self.remembered = judge, reader, remembered
        self._made: OrderedDict[tuple, np.ndarray | InputError] = OrderedDict()
        self._lock = threading.Lock()

    def of_canvas(self, canvas) -> Callable[[], np.ndarray]:
        """The digits of a sketchpad value (:func:`digits_from_canvas`), as a call for :class:`Answerer`."""
        array = canvas.get("composite") if isinstance(canvas, dict) else canvas
        key = ("drawing", None) if array is None else ("drawing", _digest(np.ascontiguousarray(array)))
        return lambda: self._once(key, lambda: digits_from_canvas(canvas, self.judge, self.reader))

    def of_upload(self, path: str | None) -> Callable[[], np.ndarray]:
        """The digits of an uploaded file (predict's reader), as a call for :class:`Answerer`."""

        def read() -> Received:
            if not path:
                raise InputError(DRAW_FIRST)
            try:
                found = read_digits(Path(path), judge=self.judge, reader=self.reader)
            except InputError as exc:  # name the file as the user knows it, not gradio's upload copy
                raise InputError(str(exc).replace(str(path), Path(path).name)) from None
            if not found.picture:  # a tensor file: its first image
                return Received(found.images[:1])
            return Received(found.images, found.read)

        try:
            stat = Path(path).stat() if path else None
        except OSError:
            stat = None
        key = ("upload", path, stat and (stat.st_size, stat.st_mtime_ns))
        return lambda: self._once(key, read) if stat else read()

    def _once(self, key: tuple, make: Callable[[], Received]) -> Received:
        with self._lock:  # gradio answers in several threads
            made = self._made.get(key)
        if made is None:
            try:
                made = make()
            except InputError as exc:
                made = exc
            with self._lock:
                self._made[key] = made
                while len(self._made) > self.remembered:
                    self._made.popitem(last=False)
        if isinstance(made, InputError):
            raise made
        return made


def _digest(array: np.ndarray) -> str:
    return hashlib.blake2b(array.tobytes(), digest_size=16).hexdigest() + str(array.shape)


class Answerer:
    """Every model's top classes for one digit, and what it took; and, on request, where each looked."""

    def __init__(self, models: dict[str, TrainedModel], ensemble: bool = True):
        self.models, self.ensemble = models, ensemble
        blank = np.zeros((1, 28, 28), np.float32)
        self.names = list(each_model_log_proba(models, blank, ensemble))  # the models, then the ensemble

    def why(self, make_digits) -> np.ndarray | None:
        """Where each model looked for its answer on a single digit, as a picture (RGB): the explain
        stage's attribution (mnist_dvc.evaluation.explain) on the digit the models received. None for no
        digit, a number, or models whose files cannot be explained (an ONNX file alone)."""
        from mnist_dvc.evaluation.explain import attribution
        from mnist_dvc.evaluation.explain_pictures import HOW, attribution_row
        from mnist_dvc.pictures import png_bytes

        try:
            digits = make_digits().images
        except InputError:
            return None
        if len(digits) != 1:
            return None
        # Each model's first file, whose network (loaded at its first "why": torch) is explained.
        firsts = {name: m.members[0] for name, m in self.models.items()}
        explained = {name: first for name, first in firsts.items() if first.explainable}
        maps, answers = {}, {}
        for name, first in explained.items():
            x = self.models[name].normalize(digits)
            answer = self.models[name].log_proba_of_unit_images(digits).argmax(1)
            maps[name], answers[name] = attribution(first, x, answer)[0], int(answer[0])
        if not maps:
            return None
        from io import BytesIO

        from PIL import Image

        how = {name: HOW[first.kind] for name, first in explained.items()}
        figure = attribution_row(digits[0], maps, answers, how)
        return np.asarray(Image.open(BytesIO(png_bytes(figure))).convert("RGB"))

    def answer(
        self, digits: np.ndarray, read: np.ndarray | None = None
    ) -> tuple[dict[str, np.ndarray], float]:
        """Every model's probabilities (N, 10) for the digits (N, 28, 28), the number reader's where it
        ``read`` a digit (as predict), and the milliseconds taken."""
        started = time.perf_counter()
        log_probs = each_model_log_proba(self.models, digits, self.ensemble)
        probs = {name: overruled(probabilities(lp), read) for name, lp in log_probs.items()}
        return probs, (time.perf_counter() - started) * 1000

    def outputs(self, make_digits) -> list:
        """[label per model..., the 28x28 images, a status line]; no digit empties the labels.

        One digit: each model's top classes. Several side by side (a number): each model's reading of the
        whole number, with the product of the digits' probabilities, and every digit's answer below."""
        try:
            digits, read = make_digits()
        except InputError as exc:
            return [None] * len(self.names) + [None, f"**{exc}**"]
        if len(digits) == 0:
            return [None] * len(self.names) + [None, f"**{NOTHING_FOUND}**"]
        probs, ms = self.answer(digits, read)
        shown = np.concatenate(list(digits), axis=1)  # side by side, as written
        shown = (255 - np.kron(shown, np.ones((8, 8))) * 255).astype(np.uint8)  # dark on light
        timing = f"All {len(self.names)} answers in {ms:.0f} ms."
        if len(digits) == 1:
            labels = [{str(c): float(p) for c, p in enumerate(probs[n][0])} for n in self.names]
            return [*labels, shown, timing]
        labels, rows = [], []
        for name in self.names:
            read = probs[name].argmax(1)
            labels.append({"".join(map(str, read)): float(np.prod(probs[name].max(1)))})
            rows.append(
                f"| {name} | "
                + " | ".join(f"{d} ({p:.0%})" for d, p in zip(read, probs[name].max(1), strict=True))
                + " |"
            )
        header = "| model | " + " | ".join(f"digit {i + 1}" for i in range(len(digits))) + " |"
        table = "\n".join([header, "|---" * (len(digits) + 1) + "|", *rows])
        return [
            *labels,
            shown,
            f"{len(digits)} digits side by side, read left to right:\n\n{table}\n\n{timing}",
        ]
