"""Validation primitives for ``params.yaml``: the YAML 1.2 loader and the validators schemas are made of.

Two things matter here:

* DVC reads params.yaml as YAML 1.2 and records those values in dvc.lock; PyYAML speaks YAML 1.1,
  where ``1e-3`` is a string and ``yes``/``off`` are booleans. :class:`Yaml12Loader` resolves
  scalars the YAML 1.2 way so the stage sees exactly what DVC recorded.
* Every stage validates its own group before doing any work, so a typo in a key or a value out of
  range fails in a second with the key and the allowed values named, not an hour into training.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mnist_dvc import PipelineError


class ParamsError(PipelineError):
    """A parameter is missing, unknown, of the wrong type or out of range."""


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core-schema booleans and floats (what DVC uses)."""


_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _FLOAT_TAG, _INT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# Integers as ruamel.yaml (DVC's parser) reads them: 010 is ten, 0o10 is eight, 1:20 is a string.
# Registered before floats, whose pattern matches plain integers too.
Yaml12Loader.add_implicit_resolver(
    _INT_TAG, re.compile(r"^(?:[-+]?[0-9][0-9_]*|[-+]?0o[0-7_]+|[-+]?0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    digits = loader.construct_scalar(node).replace("_", "")
    return int(digits, 0) if digits.lstrip("+-")[:2] in ("0o", "0x") else int(digits, 10)


Yaml12Loader.add_constructor(_INT_TAG, _construct_int)
# YAML 1.2 core floats: 1e-3 is a number, not a string as in YAML 1.1.
Yaml12Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ParamsError(f"{path}: file not found (run stages from the project root)") from None
    try:
        return yaml.load(text, Loader=Yaml12Loader)
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None


# --- validators -------------------------------------------------------------------------------
# A validator takes (value, dotted key) and returns the cleaned value or raises ParamsError.
Validator = Callable[[Any, str], Any]


def _fail(key: str, value: Any, expected: str) -> ParamsError:
    return ParamsError(f"params.yaml: {key} = {value!r} is invalid: expected {expected}")


def _in_range(x: float, lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> bool:
    if lo is not None and (x <= lo if lo_open else x < lo):
        return False
    return not (hi is not None and (x >= hi if hi_open else x > hi))


def _range_text(lo, hi, lo_open, hi_open) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return " and ".join(parts)


def integer(lo: int | None = None, hi: int | None = None, *, nullable: bool = False) -> Validator:
    def check(value, key):
        if value is None and nullable:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not _in_range(value, lo, hi, False, False)
        ):
            rng = _range_text(lo, hi, False, False)
            raise _fail(
                key, value, "an integer" + (f" {rng}" if rng else "") + (" or null" if nullable else "")
            )
        return value

    return check


def number(
    lo: float | None = None, hi: float | None = None, *, lo_open: bool = False, hi_open: bool = False
) -> Validator:
    """A float. Strings that spell a number (``"1e-3"``, as YAML 1.1 tools write it) are accepted."""

    def check(value, key):
        x = value
        if isinstance(value, str):
            try:
                x = float(value)
            except ValueError:
                x = None
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise _fail(key, value, "a finite number" + (f" {_range_text(lo, hi, lo_open, hi_open)}"))
        if not _in_range(x, lo, hi, lo_open, hi_open):
            raise _fail(key, value, f"a number {_range_text(lo, hi, lo_open, hi_open)}")
        return float(x)

    return check


def boolean() -> Validator:
    def check(value, key):
        if not isinstance(value, bool):
            raise _fail(key, value, "true or false")
        return value

    return check


def choice(*allowed: str, renamed: dict[str, str] | None = None) -> Validator:
    """One of ``allowed``; a value in ``renamed`` (old name -> new) is refused with its new name."""

    def check(value, key):
        if renamed and value in renamed:
            raise ParamsError(f"params.yaml: {key} = {value!r} was renamed: write {renamed[value]!r}")
        if value not in allowed:
            raise _fail(key, value, "one of " + ", ".join(allowed))
        return value

    return check


def text(*, pattern: str | None = None, what: str = "a string") -> Validator:
    def check(value, key):
        if not isinstance(value, str) or (pattern and not re.fullmatch(pattern, value)):
            raise _fail(key, value, what)
        return value

    return check


def list_of(item: Validator, *, min_len: int = 0, unique: bool = False) -> Validator:
    def check(value, key):
        if not isinstance(value, list) or len(value) < min_len:
            raise _fail(key, value, f"a list of at least {min_len} item(s)")
        cleaned = [item(v, f"{key}[{i}]") for i, v in enumerate(value)]
        if unique and len(set(map(repr, cleaned))) != len(cleaned):
            raise _fail(key, value, "a list without repeated items")
        return cleaned

    return check


def group(schema: Mapping[str, Validator], rule: Callable[[dict, str], None] | None = None) -> Validator:
    """A mapping with exactly the keys of ``schema`` (nothing tunable gets a hidden default); ``rule``
    (values, key), when given, checks what one key's range cannot: how the cleaned values go together."""

    def check(value, key):
        if not isinstance(value, dict):
            raise _fail(key, value, f"a mapping with keys {', '.join(schema)}")
        unknown = sorted(set(value) - set(schema))
        if unknown:
            raise ParamsError(
                f"params.yaml: unknown key(s) {', '.join(f'{key}.{k}' for k in unknown)}; "
                f"allowed keys: {', '.join(schema)}"
            )
        missing = [k for k in schema if k not in value]
        if missing:
            raise ParamsError(f"params.yaml: missing key(s) {', '.join(f'{key}.{k}' for k in missing)}")
        cleaned = {k: validate(value[k], f"{key}.{k}") for k, validate in schema.items()}
        if rule is not None:
            rule(cleaned, key)
        return cleaned

    return check


@dataclass(frozen=True)
class StageParams:
    """A stage's validated parameter group, readable as attributes (``p.lr``) or items (``p["lr"]``)."""

    stage: str
    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"{self.stage} has no parameter {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]
