"""Stage train_cnn: a convolutional network in PyTorch."""

from mnist_dvc.stage_runner import run_stage
from mnist_dvc.torch_nets.stage import run

if __name__ == "__main__":
    run_stage("train_cnn", lambda: run("train_cnn", "cnn"))
