"""mnist_dvc: the reusable code behind the pipeline's stages, in the pipeline's order.

``data`` (MNIST and the prepared data set), ``models`` (the registry, the two families, training,
loading), ``evaluation`` (metrics, robustness, explanations); then, outside the pipeline, ``reading``
(a user's files and photos to 28x28 digits) and ``serving`` (predict, the app). What every stage shares
sits at the top. The thin scripts in ``stages/`` read their parameters, call into this package and
write their outputs.
"""


class PipelineError(Exception):
    """A problem the user can fix (bad params, a malformed or missing file).

    Stages print it as one clear line and exit non-zero instead of showing a traceback.
    """


def refusal(exc: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` or ``np.load(allow_pickle=False)`` refused a file, in a few
    words on one line. Their own messages run to several lines and advise loading the file unsafely;
    a file of pickled objects can run code when loaded, so that advice is never repeated."""
    text = str(exc).strip()
    if type(exc).__name__ == "UnpicklingError" or any(w in text for w in ("weights_only", "allow_pickle")):
        return "it holds pickled Python objects, never loaded: they could run code"
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
