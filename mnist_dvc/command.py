"""The `mnist-dvc` console script (installed by `make setup`): use the trained models."""

from __future__ import annotations

import argparse
import sys

from mnist_dvc import PipelineError


def build_parser() -> argparse.ArgumentParser:
    from mnist_dvc import predict

    parser = argparse.ArgumentParser(
        prog="mnist-dvc", description="Use the models the mnist-dvc pipeline trained."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    predict_parser = commands.add_parser(
        "predict",
        help="predict the digits in your own files",
        description="Predict the digit in every image of the given files, in input order.",
    )
    predict.add_arguments(predict_parser)
    predict_parser.set_defaults(run=predict.run)
    app_parser = commands.add_parser(
        "app",
        help="a local web page: draw a digit or drop a picture, every model answers",
        description="Serve a local web page where you draw a digit or drop a picture and the models answer.",
    )
    # The app's module imports gradio only when it starts: `predict` stays fast.
    from mnist_dvc import app

    app.add_arguments(app_parser)
    app_parser.set_defaults(run=app.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except PipelineError as exc:
        print(f"mnist-dvc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mnist-dvc {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
