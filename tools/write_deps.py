"""Write each stage's code deps into dvc.yaml from its import closure (tools/import_closure.py).

    python -m tools.write_deps     # after changing what a stage imports; tests/test_deps.py checks the result

The code deps of a stage are the last entries of its `deps:` flow list; anything before the first
project path (data, other stages' outputs) is kept as written.
"""

from __future__ import annotations

import re
import sys

from tools.import_closure import PACKAGES, ROOT, closure, stage_module

# A stage's (or a family's shared stage body's, one level deeper) cmd, then its deps flow list.
DEPS = re.compile(
    r"^((?P<indent> {4}(?:  )?)cmd: (?P<cmd>[^\n]*)\n(?:(?P=indent)[^\n]*\n)*?)"
    r"(?P=indent)deps: \[(?P<deps>[^\]]*)\]\n",
    re.M,
)


def package_dirs() -> list[str]:
    """mnist_dvc's sub-packages, the deepest first: a stage that imports all of one names it as one path."""
    found = [p.parent.relative_to(ROOT) for p in (ROOT / "mnist_dvc").rglob("__init__.py")]
    return [str(p) for p in sorted(found, key=lambda p: -len(p.parts)) if len(p.parts) > 1]


def code_deps(module: str) -> list[str]:
    files = sorted(map(str, closure(module)))
    for folder in package_dirs():
        inside = sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*.py"))
        if inside and all(f in files for f in inside):
            files = [f for f in files if f not in inside] + [folder]
    own = module.replace(".", "/") + ".py"
    return [own, *sorted(f for f in files if f != own)]


def rewrite(text: str) -> str:
    def one(match: re.Match) -> str:
        module = stage_module(match["cmd"].split("$")[0].strip())
        kept = [d.strip() for d in match["deps"].replace("\n", " ").split(",") if d.strip()]
        kept = [d for d in kept if d.split("/")[0] not in PACKAGES]
        items = kept + code_deps(module)
        indent = match["indent"]
        lines, line = [], f"{indent}deps: ["
        for i, item in enumerate(items):
            piece = item + (", " if i < len(items) - 1 else "]")
            if len(line) + len(piece) > 110:
                lines.append(line.rstrip())
                line = indent + "  "
            line += piece
        lines.append(line)
        return match.group(1) + "\n".join(lines) + "\n"

    return DEPS.sub(one, text)


def main() -> int:
    path = ROOT / "dvc.yaml"
    path.write_text(rewrite(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
