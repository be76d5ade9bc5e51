"""Stage train_numpy_mlp: the NumPy-only multi-layer perceptron."""

from threadpoolctl import threadpool_limits

from mnist_dvc.dataset import load_prepared
from mnist_dvc.numpy_mlp.io import INPUT_SIZE, NUM_CLASSES, save_model
from mnist_dvc.numpy_mlp.network import predict_log_proba
from mnist_dvc.numpy_mlp.train import train
from mnist_dvc.params import load_stage_params
from mnist_dvc.paths import MODEL_FILES, PREPARED_DIR, training_dir
from mnist_dvc.stage_runner import run_stage
from mnist_dvc.timing import write_timing
from mnist_dvc.training import images_per_second, report, run_metadata

MODEL = "numpy_mlp"


def main() -> None:
    p = load_stage_params("train_numpy_mlp")
    data = load_prepared(PREPARED_DIR, ("train", "val"))
    params, result = train(p, data, training_dir(MODEL))
    with threadpool_limits(p.num_threads):
        speed = images_per_second(lambda x: predict_log_proba(params, x, p.activation), data.images["val"])
        val_log_probs = predict_log_proba(params, data.images["val"], p.activation)
    architecture = {"layer_sizes": [INPUT_SIZE, *p.hidden, NUM_CLASSES], "activation": p.activation}
    meta = run_metadata(p, result, data.meta["normalization"], val_log_probs, data.labels["val"])
    save_model(MODEL_FILES[MODEL], params, {**architecture, **meta})
    write_timing(MODEL, result.train_seconds, speed)
    report(p.stage, result, MODEL_FILES[MODEL])


if __name__ == "__main__":
    run_stage("train_numpy_mlp", main)
