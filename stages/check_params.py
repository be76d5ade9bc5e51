"""Stage check_params: every group of params.yaml against its schema, and each model's stage in dvc.yaml,
before any other stage starts.

Every other stage depends on its stamp, data/params_checked. DVC removes a stage's outputs just before it
runs the stage, so a stage that refused a bad value itself would already have lost its old model or
metrics; here a bad value stops `dvc repro` before any of them starts. The stamp's text never changes, so
a valid edit reruns only the stages whose own params changed. `dvc repro -s <stage>` runs that stage
alone, without this check: docs/pipeline.md says so. Each schema lives with the code of its stage.
"""

from mnist_dvc.fileio import write_text
from mnist_dvc.models.families import trainer_params
from mnist_dvc.models.registry import check_stages, read
from mnist_dvc.paths import PARAMS_CHECKED
from mnist_dvc.stage_runner import run_stage
from mnist_dvc.stage_schemas import SCHEMAS

STAMP = "params.yaml: every group passed its schema\n"


def main() -> None:
    models, seeds = read()
    for schema in SCHEMAS.values():  # the stages that are not trainers
        schema.load()
    for entry in models.values():
        trainer_params(entry, seeds[0])
    check_stages(models)
    write_text(PARAMS_CHECKED, STAMP)


if __name__ == "__main__":
    run_stage("check_params", main)
