"""The web stage's params (params.yaml ``web``), apart from its code so that check_params, which reads every
stage's schema, runs none of it."""

from mnist_dvc.params import StageSchema
from mnist_dvc.validation import choice, group, text

SCHEMA = StageSchema(
    "web",
    {
        # ONNX Runtime Web from npm, pinned: its exact version and npm's integrity digest of its tarball.
        "onnxruntime_web": group(
            {
                "version": text(pattern=r"\d+\.\d+\.\d+", what="an exact version such as 1.31.1"),
                "integrity": text(
                    pattern=r"sha512-[A-Za-z0-9+/]{86}==", what="npm's sha512-... integrity string"
                ),
            }
        ),
        # int8: weight matrices and filters stored as 8-bit integers per output channel (a quarter of the
        # size; the arithmetic stays float32); float32: the twins as trained.
        "weights": choice("int8", "float32"),
    },
)
