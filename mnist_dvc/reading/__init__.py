"""A user's files and photos to MNIST-style 28x28 digits: pictures, tensors, the writing surface, the ink,
numbers."""
