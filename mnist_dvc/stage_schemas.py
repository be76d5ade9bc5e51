"""The params schemas of the stages that are not trainers, by group name (each model's trainer group is
checked by its family: mnist_dvc/models/families.py). check_params and bench.quick read them here."""

from mnist_dvc.data import dataset, fetch
from mnist_dvc.evaluation import explain, metrics, robustness
from mnist_dvc.models.number_reader import params as number_reader
from mnist_dvc.params import StageSchema
from mnist_dvc.web import params as web

_ALL = (
    fetch.SCHEMA,
    dataset.SCHEMA,
    number_reader.SCHEMA,
    metrics.SCHEMA,
    robustness.SCHEMA,
    explain.SCHEMA,
    web.SCHEMA,
)
SCHEMAS: dict[str, StageSchema] = {schema.stage: schema for schema in _ALL}
