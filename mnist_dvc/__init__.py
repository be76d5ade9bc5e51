"""mnist_dvc: the reusable code behind the pipeline's stages.

Each module holds one concern; the thin scripts in ``stages/`` read their parameters, call into
this package and write their outputs.
"""


class PipelineError(Exception):
    """A problem the user can fix (bad params, a malformed or missing file).

    Stages print it as one clear line and exit non-zero instead of showing a traceback.
    """
