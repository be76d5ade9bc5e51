"""The notebook's configurations are written once (bench/notebook.yaml) and validated like params.yaml."""

import re
import shlex

import pytest
import yaml

from bench.notebook import NOTEBOOK_FILE, configs, exp_flags
from mnist_dvc.params import ParamsError
from mnist_dvc.validation import Yaml12Loader
from tests.fixtures import PROJECT_ROOT


def test_every_configuration_is_valid_and_the_makefile_runs_each():
    names = configs()
    make_list = re.search(r"^NOTEBOOK_CONFIGS := (.*)$", (PROJECT_ROOT / "Makefile").read_text(), re.M)
    assert make_list.group(1).split() == list(names)


@pytest.mark.parametrize("name", ["numpy", "cnn-improved"])
def test_the_dvc_flags_set_exactly_the_configurations_values(name):
    model, overrides = configs()[name]
    words = shlex.split(exp_flags(name))
    assert words[::2] == ["-S"] * len(overrides)
    # As DVC reads them (YAML 1.2), the values come back unchanged.
    parsed = {}
    for setting in words[1::2]:
        key, _, text = setting.partition("=")
        parsed[key.removeprefix(f"train_{model}.")] = yaml.load(text, Loader=Yaml12Loader)
    assert parsed == overrides


def test_a_misspelled_key_fails_with_its_name(tmp_path):
    text = NOTEBOOK_FILE.read_text().replace("arch: notebook_cnn_simple", "arhc: notebook_cnn_simple")
    (tmp_path / "notebook.yaml").write_text(text)
    with pytest.raises(ParamsError, match=r"unknown key\(s\) train_cnn\.arhc"):
        configs(tmp_path / "notebook.yaml")
