"""Stage train_numpy: one model of the NumPy family (a multi-layer perceptron in NumPy only) for one seed.

python -m stages.train_numpy <model> <seed>     # as dvc.yaml runs it, once per model and seed
"""

import sys

from threadpoolctl import threadpool_limits

from mnist_dvc.data.dataset import load_prepared
from mnist_dvc.models.numpy_mlp.io import INPUT_SIZE, NUM_CLASSES, save_model
from mnist_dvc.models.numpy_mlp.network import predict_log_proba
from mnist_dvc.models.numpy_mlp.onnx_export import export_numpy_onnx
from mnist_dvc.models.numpy_mlp.params import SCHEMAS
from mnist_dvc.models.numpy_mlp.train import train
from mnist_dvc.models.onnx_model import twin_of
from mnist_dvc.models.registry import trainee, trainer_params
from mnist_dvc.models.training import images_per_second, report, run_metadata
from mnist_dvc.paths import PREPARED_DIR, training_dir
from mnist_dvc.stage_runner import run_stage
from mnist_dvc.timing import write_timing


def main() -> None:
    entry, seed = trainee("numpy", sys.argv[1:])
    p = trainer_params(entry, SCHEMAS, seed)
    data = load_prepared(PREPARED_DIR, ("train", "val"))
    params, result = train(p, data, training_dir(entry.name, seed))
    with threadpool_limits(p.num_threads):
        speed = images_per_second(lambda x: predict_log_proba(params, x, p.activation), data.images["val"])
        val_log_probs = predict_log_proba(params, data.images["val"], p.activation)
    architecture = {"layer_sizes": [INPUT_SIZE, *p.hidden, NUM_CLASSES], "activation": p.activation}
    meta = run_metadata(p, result, data.meta["normalization"], val_log_probs, data.labels["val"])
    save_model(entry.file(seed), params, {**architecture, **meta})
    export_numpy_onnx(twin_of(entry.file(seed)), params, {**architecture, **meta}, entry.file(seed))
    write_timing(entry.name, seed, result.train_seconds, speed)
    report(f"{p.stage} (seed {seed})", result, entry.file(seed))


if __name__ == "__main__":
    run_stage("train_numpy", main)
