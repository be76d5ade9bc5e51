"""The `mnist-dvc` console script (installed by `make setup`): use the trained models."""

from __future__ import annotations

import argparse
import sys

from mnist_dvc import PipelineError
from mnist_dvc.stage_runner import EXIT_INTERRUPTED, interrupted_message


def build_parser() -> argparse.ArgumentParser:
    # The app's module imports gradio only when the app starts, so `predict` stays fast.
    from mnist_dvc.serving import app, predict

    parser = argparse.ArgumentParser(
        prog="mnist-dvc", description="Use the models the mnist-dvc pipeline trained."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module, summary, description in (
        ("predict", predict, "predict the digits in your own files",
         "Read the handwritten digits in your own pictures (phone photos, scans, drawings) and the digit "
         "images in tensor, .npy and IDX files, in input order: one output line per picture and per image."),
        ("app", app, "a local web page: draw a digit or drop a picture, every model answers",
         "Serve a local web page where you draw a digit or drop a picture and the models answer."),
    ):  # fmt: skip
        subparser = commands.add_parser(name, help=summary, description=description)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except PipelineError as exc:
        print(f"mnist-dvc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(interrupted_message(f"mnist-dvc {args.command}"), file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
