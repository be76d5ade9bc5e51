"""Stage train_torch_mlp: a multi-layer perceptron in PyTorch."""

from mnist_dvc.stage_runner import run_stage
from mnist_dvc.torch_nets.stage import run

if __name__ == "__main__":
    run_stage("train_torch_mlp", lambda: run("train_torch_mlp", "torch_mlp"))
