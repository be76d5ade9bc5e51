"""Stage train_torch: one model of the PyTorch family (an MLP or a CNN, by its params' arch) for one seed.

python -m stages.train_torch <model> <seed>     # as dvc.yaml runs it, once per model and seed
"""

import sys

from mnist_dvc.models.registry import trainee
from mnist_dvc.models.torch_nets.stage import run
from mnist_dvc.stage_runner import run_stage

if __name__ == "__main__":
    run_stage("train_torch", lambda: run(*trainee("torch", sys.argv[1:])))
