"""A multi-layer perceptron in NumPy only: model, optimizers, training and its file format."""
