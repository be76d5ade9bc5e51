"""The models the pipeline trains and the seeds each is trained with: params.yaml's ``models`` and ``seeds``.

One list drives the pipeline. dvc.yaml has a stage ``train_<name>`` per model, which runs its family's
trainer once per seed (``train_cnn@42``); evaluate, robustness, the report, ``mnist-dvc predict`` and the
app read the list here. Each model is a committee of its seeds: the mean of their calibrated probabilities.

A family is the code that trains a kind of model: ``numpy`` (mnist_dvc/models/numpy_mlp,
stages/train_numpy.py) and ``torch`` (mnist_dvc/models/torch_nets, stages/train_torch.py). Adding a model
of a family takes its code (an architecture), one entry under its family in ``models``, its params group
``train_<name>``, and its stage and artifact in dvc.yaml; :func:`check_stages` names whichever is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mnist_dvc.params import PARAMS_FILE, ParamsError, StageParams, StageSchema
from mnist_dvc.paths import MODELS_DIR, PIPELINE_FILE
from mnist_dvc.validation import group, integer, list_of, load_yaml, text

# family -> the file type its trainer writes, and the params schema of a new model's group (a built-in
# model's group has its own schema in its family's params.py)
FAMILIES = {"numpy": (".npz", "train_numpy_mlp"), "torch": (".pt", "train_cnn")}
NAME = r"[a-z][a-z0-9_]*"
_ENTRY = group({"desc": text(what="a one-line description"), "labels": list_of(text(pattern=NAME))})
_SEEDS = list_of(integer(0, 2**32 - 1), min_len=1, unique=True)


@dataclass(frozen=True)
class ModelEntry:
    """One model of the registry."""

    name: str
    family: str
    desc: str
    labels: tuple[str, ...]

    @property
    def stage(self) -> str:
        """Its stage in dvc.yaml (an instance per seed: ``train_cnn@42``) and its params group."""
        return f"train_{self.name}"

    def file(self, seed: int) -> Path:
        """The model file its trainer writes for ``seed``."""
        return MODELS_DIR / self.name / f"seed_{seed}{FAMILIES[self.family][0]}"

    @property
    def trainer(self) -> str:
        """The module dvc.yaml's stage runs to train it: its family's trainer."""
        return f"stages.train_{self.family}"

    @property
    def directory(self) -> Path:
        """Its files, one per seed: what `dvc artifacts get` fetches."""
        return MODELS_DIR / self.name

    @property
    def artifact(self) -> dict:
        """Its entry in dvc.yaml's ``artifacts``, by its name."""
        return {"path": self.directory.as_posix(), "type": "model", "labels": list(self.labels)}


def _document(path: Path) -> dict:
    document = load_yaml(path)
    if not isinstance(document, dict):
        raise ParamsError(f"{path}: expected a mapping of param groups")
    return document


def models(path: Path = PARAMS_FILE) -> dict[str, ModelEntry]:
    """Every model of the registry by name, in the order params.yaml lists them, validated."""
    return _models_in(_document(path), path)


def seeds(path: Path = PARAMS_FILE) -> list[int]:
    """The seeds every model is trained with (params.yaml ``seeds``)."""
    return _SEEDS(_document(path).get("seeds"), "seeds")


def read(path: Path = PARAMS_FILE) -> tuple[dict[str, ModelEntry], list[int]]:
    """:func:`models` and :func:`seeds` from one reading of ``path``."""
    document = _document(path)
    return _models_in(document, path), _SEEDS(document.get("seeds"), "seeds")


def pick(names: list[str], entries: dict[str, ModelEntry]) -> list[ModelEntry]:
    """The entries named, in that order; one line naming the registry's models for a name it lacks."""
    unknown = [name for name in names if name not in entries]
    if unknown:
        raise ParamsError(f"no model {', '.join(unknown)} in params.yaml (models: {', '.join(entries)})")
    return [entries[name] for name in names]


def _models_in(document: dict, path: Path) -> dict[str, ModelEntry]:
    families = document.get("models")
    if not isinstance(families, dict) or not families:
        raise ParamsError(f"{path}: `models` must map each family ({', '.join(FAMILIES)}) to its models")
    out: dict[str, ModelEntry] = {}
    for family, entries in families.items():
        if family not in FAMILIES:
            raise ParamsError(
                f"params.yaml: models.{family}: unknown family; expected one of {', '.join(FAMILIES)}"
            )
        if not isinstance(entries, dict) or not entries:
            raise ParamsError(f"params.yaml: models.{family}: expected a mapping of model names to entries")
        for name, entry in entries.items():
            key = f"models.{family}.{name}"
            if not isinstance(name, str) or not re.fullmatch(NAME, name) or name == "ensemble":
                raise ParamsError(
                    f"params.yaml: {key}: a model name is lower-case letters, digits and _ (not ensemble)"
                )
            if name in out:
                raise ParamsError(f"params.yaml: {key}: the name is taken in models.{out[name].family}")
            values = _ENTRY(entry, key)
            if f"train_{name}" not in document:
                raise ParamsError(f"params.yaml: {key}: its params group train_{name} is missing")
            out[name] = ModelEntry(name, family, values["desc"], tuple(values["labels"]))
    return out


def check_stages(entries: dict[str, ModelEntry], path: Path = PIPELINE_FILE) -> None:
    """Each model has its stage in dvc.yaml (``train_<name>``, ``vars: [{model: <name>}]``, running its
    family's trainer) and its artifact (:meth:`ModelEntry.artifact`), and each such stage and artifact a
    model: else one line naming what to add or remove."""
    document = load_yaml(path)
    stages = document.get("stages") or {}
    trained = {name: stage for name, stage in stages.items() if _model_of(stage) is not None}
    for entry in entries.values():
        stage = trained.get(entry.stage)
        if stage is None or _model_of(stage) != entry.name:
            raise ParamsError(
                f"{path}: no stage {entry.stage} for params.yaml's models.{entry.family}.{entry.name}: add "
                f"one with vars: [{{model: {entry.name}}}] that runs {entry.trainer}, as docs/models.md says"
            )
        command = str(stage.get("cmd", ""))
        if not command.startswith(f"python -m {entry.trainer} "):
            raise ParamsError(
                f"{path}: stage {entry.stage} runs {command!r}, not its family's {entry.trainer}"
            )
    for name, stage in trained.items():
        if _model_of(stage) not in entries:
            raise ParamsError(
                f"{path}: stage {name} trains {_model_of(stage)!r}, which params.yaml's models lack "
                f"(models: {', '.join(entries)})"
            )
    # dvc.yaml's artifacts cannot be templated from params.yaml: each is written out, and checked here.
    artifacts = document.get("artifacts") or {}
    for entry in entries.values():
        if artifacts.get(entry.name) != entry.artifact:
            raise ParamsError(
                f"{path}: artifacts.{entry.name} must be {_flow(entry.artifact)}, as params.yaml's "
                f"models.{entry.family}.{entry.name} says (found: {_flow(artifacts.get(entry.name))})"
            )
    for name in artifacts:
        if name not in entries:
            raise ParamsError(
                f"{path}: artifacts.{name} is no model of params.yaml's (models: {', '.join(entries)})"
            )


def _flow(value) -> str:
    """A value as dvc.yaml writes it on one line (YAML's flow style)."""
    import yaml

    if value is None:
        return "nothing"
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6).strip()


def _model_of(stage) -> str | None:
    """The model a stage of dvc.yaml trains: the ``model`` of its vars, if it has one."""
    for var in (stage.get("vars") if isinstance(stage, dict) else None) or []:
        if isinstance(var, dict) and "model" in var:
            return str(var["model"])
    return None


def trainer_params(
    model: ModelEntry | str,
    schemas: dict[str, StageSchema],
    seed: int | None = None,
    path: Path = PARAMS_FILE,
    **overrides,
) -> StageParams:
    """The validated params group of a model's trainer (``train_<name>``) against its family's
    ``schemas`` (each family's params.py passes its own), with ``overrides`` of some of its keys (as ``dvc
    exp run -S`` would set them: a misspelled key fails) and the seed of this run as ``seed`` (default:
    the first of ``seeds``)."""
    document = _document(path)
    entry = pick([model], _models_in(document, path))[0] if isinstance(model, str) else model
    schema = schemas.get(entry.stage) or schemas[FAMILIES[entry.family][1]]
    values = schema.validate({**document[entry.stage], **overrides}, entry.stage)
    seed = _SEEDS(document.get("seeds"), "seeds")[0] if seed is None else _SEEDS([seed], "seed")[0]
    return StageParams(entry.stage, {**values, "seed": seed})


def trainee(family: str, argv: list[str]) -> tuple[ModelEntry, int]:
    """What a family's trainer was asked to train: ``<model> <seed>`` from its command line (dvc.yaml)."""
    if len(argv) != 2:
        raise ParamsError(f"usage: python -m stages.train_{family} <model> <seed>, got {' '.join(argv)!r}")
    if not argv[1].isdigit():
        raise ParamsError(f"params.yaml: seeds: {argv[1]!r} is not a seed: expected an integer >= 0")
    name, seed = argv[0], int(argv[1])
    entry = models().get(name)
    if entry is None or entry.family != family:
        raise ParamsError(f"params.yaml: models.{family} has no model {name!r}")
    return entry, seed
