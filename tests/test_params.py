import pytest

from mnist_dvc.data import dataset, fetch
from mnist_dvc.models.families import SCHEMAS as FAMILY_SCHEMAS
from mnist_dvc.params import ParamsError
from mnist_dvc.validation import load_yaml
from tests.fixtures import PROJECT_ROOT


def load_stage_params(stage: str, path, **overrides):
    """A stage's group read with the schema that lives with its code."""
    schemas = {"fetch_data": fetch.SCHEMA, "prepare": dataset.SCHEMA, **FAMILY_SCHEMAS["torch"]}
    return schemas[stage].load(path, **overrides)


def test_yaml_is_read_as_yaml_1_2_like_dvc(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "a: 1e-3\nb: yes\nc: off\nd: true\ne: 3\nf: .5\ng: -2E+2\nh: 1_000\n"
        "i: 010\nj: 0o10\nk: 1:20\nl: 0x1F\n"
    )
    assert load_yaml(path) == {
        "a": 0.001,
        "b": "yes",
        "c": "off",
        "d": True,
        "e": 3,
        "f": 0.5,
        "g": -200.0,
        "h": 1000,
        "i": 10,
        "j": 8,
        "k": "1:20",
        "l": 31,
    }


def test_project_params_are_valid():
    for stage in ("fetch_data", "prepare"):
        load_stage_params(stage, PROJECT_ROOT / "params.yaml")


def _params(tmp_path, body):
    path = tmp_path / "params.yaml"
    path.write_text(body)
    return path


GOOD_PREPARE = "prepare:\n  normalize: standard\n  val_fraction: 0.2\n  seed: 1\n  limit: null\n"


def test_good_group_is_returned(tmp_path):
    p = load_stage_params("prepare", _params(tmp_path, GOOD_PREPARE))
    assert (p.normalize, p.val_fraction, p.seed, p.limit) == ("standard", 0.2, 1, None)


def test_float_spelled_as_a_string_is_taken_as_the_number(tmp_path):
    p = load_stage_params("prepare", _params(tmp_path, GOOD_PREPARE.replace("0.2", "'2e-1'")))
    assert p.val_fraction == pytest.approx(0.2) and isinstance(p.val_fraction, float)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "normalize: standard",
            "normalize: zscore",
            r"prepare.normalize = 'zscore' is invalid: expected one of standard, minmax, notebook",
        ),
        (
            "val_fraction: 0.2",
            "val_fraction: 1.5",
            r"prepare.val_fraction = 1.5 .*expected a number > 0 and < 1",
        ),
        (
            "val_fraction: 0.2",
            "val_fraction: abc",
            r"prepare.val_fraction = 'abc' .*expected a finite number",
        ),
        ("seed: 1", "seed: 1.5", r"prepare.seed = 1.5 is invalid: expected an integer >= 0"),
        ("seed: 1", "seed: true", r"prepare.seed = True is invalid"),
        ("limit: null", "limit: 3", r"prepare.limit = 3 is invalid: expected an integer >= 10 or null"),
        (
            "limit: null",
            "limit: null\n  lmit: 5",
            r"unknown key\(s\) prepare.lmit; allowed keys: normalize, ",
        ),
        ("  seed: 1\n", "", r"missing key\(s\) prepare.seed"),
    ],
)
def test_bad_values_are_rejected_with_key_and_allowed_values(tmp_path, old, new, message):
    with pytest.raises(ParamsError, match=message):
        load_stage_params("prepare", _params(tmp_path, GOOD_PREPARE.replace(old, new)))


def test_missing_group_and_file(tmp_path):
    with pytest.raises(ParamsError, match="no group 'prepare'"):
        load_stage_params("prepare", _params(tmp_path, "other: {}\n"))
    with pytest.raises(ParamsError, match="file not found"):
        load_stage_params("prepare", tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            "{noise: 6, blur: 0, thicker: 0, thinner: 0, contrast: 0}",
            r"train_cnn.corrupt.noise = 6 is invalid",
        ),
        (
            "{noise: 1, blur: 0, thicker: 0, thinner: 0, contrast: 0, rain: 2}",
            r"unknown key\(s\) train_cnn.corrupt.rain",
        ),
    ],
)
def test_a_bad_training_corruption_is_refused_with_its_name(tmp_path, corrupt, message):
    import yaml

    document = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text())
    text = yaml.safe_dump({"train_cnn": {**document["train_cnn"], "corrupt": yaml.safe_load(corrupt)}})
    with pytest.raises(ParamsError, match=message):
        load_stage_params("train_cnn", _params(tmp_path, text))


@pytest.mark.parametrize(
    ("stage", "key", "old", "new"),
    [
        ("prepare", "normalize", "seed", "notebook"),
        ("train_torch_mlp", "arch", "seed", "notebook_mlp"),
        ("train_cnn", "arch", "seed_simple", "notebook_cnn_simple"),
    ],
)
def test_an_old_name_gets_one_line_naming_the_new_one(stage, key, old, new):
    with pytest.raises(ParamsError) as refused:
        load_stage_params(stage, PROJECT_ROOT / "params.yaml", **{key: old})
    assert str(refused.value) == f"params.yaml: {stage}.{key} = {old!r} was renamed: write {new!r}"


def test_overrides_are_validated_like_the_file():
    assert load_stage_params("prepare", PROJECT_ROOT / "params.yaml", val_fraction=0.1).val_fraction == 0.1
    with pytest.raises(ParamsError, match=r"unknown key\(s\) prepare\.val_fractio\b"):
        load_stage_params("prepare", PROJECT_ROOT / "params.yaml", val_fractio=0.1)


BIG_STAGE = "  train_big:\n    vars: [{model: big}]\n    <<: *torch_trainer\n"
BIG_ARTIFACT = "  big: {path: data/models/big, type: model, labels: []}\n"


def _project_params(tmp_path, edit, pipeline_text: str = "", artifact: str = "") -> None:
    """The project's params.yaml, edited, and its dvc.yaml with ``pipeline_text`` appended (more stages)
    and ``artifact`` added to its artifacts, written to tmp_path (the working directory of the test)."""
    import yaml

    document = load_yaml(PROJECT_ROOT / "params.yaml")
    edit(document)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    pipeline = (
        (PROJECT_ROOT / "dvc.yaml").read_text().replace("\nartifacts:\n", "\nartifacts:\n" + artifact, 1)
    )
    (tmp_path / "dvc.yaml").write_text(pipeline + pipeline_text)


def _add_model(p, name="big", family="torch"):
    p["models"][family][name] = {"desc": "d", "labels": []}
    p[f"train_{name}"] = dict(p["train_cnn" if family == "torch" else "train_numpy_mlp"])


@pytest.mark.parametrize(
    ("edit", "stage", "artifact", "message"),
    [
        (
            _add_model,
            "",
            BIG_ARTIFACT,
            r"dvc.yaml: no stage train_big for params.yaml's models.torch.big: add one with "
            r"vars: \[\{model: big\}\] that runs stages.train_torch",
        ),
        (
            _add_model,
            "  train_big:\n    vars: [{model: big}]\n    <<: *numpy_trainer\n",
            BIG_ARTIFACT,
            r"dvc.yaml: stage train_big runs 'python -m stages.train_numpy \$\{model\} \$\{item.seed\}', "
            r"not its family's stages.train_torch",
        ),
        (
            lambda p: None,
            BIG_STAGE,
            "",
            r"dvc.yaml: stage train_big trains 'big', which params.yaml's models lack \(models: numpy_mlp, ",
        ),
        (
            _add_model,
            BIG_STAGE,
            "",
            r"dvc.yaml: artifacts.big must be \{path: data/models/big, type: model, labels: \[\]\}, as "
            r"params.yaml's models.torch.big says \(found: nothing\)",
        ),
        (
            _add_model,
            BIG_STAGE,
            "  big: {path: data/models/big, type: model, labels: [cnn]}\n",
            r"dvc.yaml: artifacts.big must be .* "
            r"\(found: \{path: data/models/big, type: model, labels: \[cnn\]\}\)",
        ),
        (
            lambda p: None,
            "",
            BIG_ARTIFACT,
            r"dvc.yaml: artifacts.big is no model of params.yaml's \(models: numpy_mlp, torch_mlp, cnn\)",
        ),
    ],
    ids=["no-stage", "wrong-family", "no-model", "no-artifact", "other-labels", "no-model-for-artifact"],
)
def test_check_params_names_a_model_whose_stage_or_artifact_is_missing_or_wrong(
    tmp_path, monkeypatch, edit, stage, artifact, message
):
    from stages import check_params

    _project_params(tmp_path, edit, stage, artifact)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError, match=message):
        check_params.main()
    assert not (tmp_path / "data").exists()


def test_a_model_with_its_params_group_and_stage_passes_check_params(tmp_path, monkeypatch):
    from stages import check_params

    _project_params(tmp_path, _add_model, BIG_STAGE, BIG_ARTIFACT)
    monkeypatch.chdir(tmp_path)
    check_params.main()
    assert (tmp_path / "data/params_checked").read_text() == check_params.STAMP


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["explain"].update(perplexity=60, embedding_images=50),
            r"explain.perplexity = 60 is invalid: expected a number below explain.embedding_images \(50\)",
        ),
        (
            lambda p: p["robustness"].update(images=20000),
            r"robustness.images = 20000 is invalid: expected an "
            r"integer >= 10 and <= 10000",
        ),
        (
            lambda p: p["evaluate"].update(example_indices=[3, 10000]),
            r"evaluate.example_indices\[1\] = 10000",
        ),
        (
            lambda p: p["fetch_data"].update(source_dir="data/raw/mine"),
            r"fetch_data.source_dir = "
            r"'data/raw/mine' is inside the stage's output data/raw/",
        ),
        (lambda p: p["train_torch_mlp"].update(lr=0), r"train_torch_mlp.lr = 0 is invalid"),
        (lambda p: p.update(seeds=[42, "x"]), r"seeds\[1\] = 'x' is invalid: expected an integer"),
        (
            lambda p: p["models"]["torch"].update(big={"desc": "d", "labels": []}),
            r"models.torch.big: its params group train_big is missing",
        ),
    ],
    ids=["perplexity", "robustness-images", "example-index", "source-dir", "trainer", "seeds", "model-group"],
)
def test_check_params_refuses_any_bad_group_and_writes_no_stamp(tmp_path, monkeypatch, edit, message):
    from stages import check_params

    _project_params(tmp_path, edit)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamsError, match=message):
        check_params.main()
    assert not (tmp_path / "data").exists()


def test_check_params_writes_the_same_stamp_for_any_valid_params(tmp_path, monkeypatch):
    from stages import check_params

    monkeypatch.chdir(tmp_path)
    stamps = []
    for lr in (0.002, 0.1):
        _project_params(tmp_path, lambda p, lr=lr: p["train_cnn"].update(lr=lr))
        check_params.main()
        stamps.append((tmp_path / "data/params_checked").read_bytes())
    assert stamps[0] == stamps[1] == check_params.STAMP.encode()
