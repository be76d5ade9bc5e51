"""A user's files and photos to MNIST-style 28x28 digits: pictures, tensors, the writing surface, the ink,
numbers."""

from mnist_dvc import PipelineError


class InputError(PipelineError):
    """A user's input file cannot be read as digits."""
