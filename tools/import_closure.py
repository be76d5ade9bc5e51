"""The project modules a stage runs: the transitive closure of its source's own import statements.

Every ``import`` and ``from ... import`` anywhere in a module counts, function-level ones included
(the heavy imports are deferred into functions), and so does each package's ``__init__.py`` on the way
to a module. Only this project's files are followed (the ``mnist_dvc`` package and ``stages/``).

    python -m tools.import_closure stages.evaluate     # one module's closure, a path per line
    python -m tools.import_closure                     # every stage of dvc.yaml: missing and extra deps
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mnist_dvc", "stages")


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """``a.b.c`` -> a/b/c.py or a/b/c/__init__.py under ``root``, if it is one of this project's."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(path: Path, name: str) -> set[str]:
    """The modules ``path`` (module ``name``) imports, written out in full (relative imports resolved,
    and ``from package import module`` counted as the module when it is one)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def closure(module: str, root: Path = ROOT) -> set[Path]:
    """The files of every project module that importing ``module`` can run, relative to ``root``."""
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
        for i in range(1, len(parts) + 1):
            path = module_file(".".join(parts[:i]), root)
            if path is None or path in seen:
                continue
            seen.add(path)
            todo.extend(_imported_names(path, ".".join(parts[:i])))
    return {path.relative_to(root) for path in seen}


def stage_module(cmd: str) -> str | None:
    """``python -m stages.x`` -> ``stages.x``; None for any other command."""
    words = cmd.split()
    if len(words) >= 3 and words[0] == "python" and words[1] == "-m":
        return words[2]
    return None


def declared_code(deps: list[str], root: Path = ROOT) -> set[Path]:
    """The project's Python files that a stage's deps cover (a directory covers every file in it)."""
    files: set[Path] = set()
    for dep in deps:
        path = root / dep
        if dep.split("/")[0] not in PACKAGES:
            continue
        files.update(p.relative_to(root) for p in ([path] if path.is_file() else path.rglob("*.py")))
    return files


def stage_deps(root: Path = ROOT) -> dict[str, tuple[str, list[str]]]:
    """Each stage of dvc.yaml, as DVC resolves it: name -> (command, dep paths relative to root)."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return {
            stage.addressing: (stage.cmd, [str(Path(dep.def_path)) for dep in stage.deps])
            for stage in repo.index.stages
        }


def mismatches(root: Path = ROOT) -> dict[str, dict[str, list[str]]]:
    """Per stage: the project modules it runs but does not depend on ("missing"), and those it depends
    on but does not run ("extra")."""
    out = {}
    for name, (cmd, deps) in stage_deps(root).items():
        module = stage_module(cmd)
        if module is None:
            continue
        runs, declared = closure(module, root), declared_code(deps, root)
        missing = sorted(map(str, runs - declared))
        extra = sorted(map(str, declared - runs))
        if missing or extra:
            out[name] = {"missing": missing, "extra": extra}
    return out


def main() -> int:
    if len(sys.argv) > 1:
        print("\n".join(sorted(map(str, closure(sys.argv[1])))))
        return 0
    found = mismatches()
    for stage, problems in found.items():
        for kind, paths in problems.items():
            for path in paths:
                print(f"{stage}: {kind} {path}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
