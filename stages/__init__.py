"""One thin module per DVC stage: read params, call the mnist_dvc package, write outputs."""
