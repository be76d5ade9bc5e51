"""Links that cannot rot: every relative link and image in README.md and docs/ points at a file that
exists, and at a heading that exists when it names one."""

import re
from pathlib import Path

import pytest

from tests.fixtures import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```", re.S)


def anchors(page: Path) -> set[str]:
    """GitHub's anchor of each heading: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", CODE.sub("", page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def links(page: Path) -> list[str]:
    return [t for t in LINK.findall(CODE.sub("", page.read_text())) if not re.match(r"[a-z]+:", t)]


def broken_links(page: Path) -> list[str]:
    """Each relative link of ``page`` whose file, or whose heading, does not exist."""
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_and_anchor_exists(page):
    assert not broken_links(page), f"{page.name}: " + "; ".join(broken_links(page))


def test_a_missing_file_and_a_missing_heading_are_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# A title: here\n\n[ok](#a-title-here) ![gone](missing.png) [bad](#nowhere) [web](https://x.org)\n"
        "```\n[in code](not-checked.md)\n```\n"
    )
    assert broken_links(page) == ["missing.png: no such file", "#nowhere: no heading #nowhere in page.md"]
