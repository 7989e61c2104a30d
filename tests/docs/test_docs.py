"""The documentation stays true to the code: every hook documented, every page reachable,
every code example valid. (The examples themselves run in ``nox -s docs``.)"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from tensorplug import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def hooks() -> list[str]:
    return sorted(
        name
        for name, fn in vars(hookspecs).items()
        if name.startswith("tensorplug_") and inspect.isfunction(fn)
    )


def test_there_are_hooks_to_document() -> None:
    assert "tensorplug_backends" in hooks()


@pytest.mark.parametrize("hook", hooks())
def test_every_hook_has_a_section_in_the_hook_reference(hook: str) -> None:
    text = (DOCS / "hooks.md").read_text()
    assert f"\n## `{hook}`\n" in text, f"docs/hooks.md has no '## `{hook}`' section"
    assert f".. autofunction:: tensorplug.hookspecs.{hook}" in text, (
        f"docs/hooks.md does not pull in the docstring of {hook}"
    )
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Returns:" in doc, f"{hook}'s docstring does not say what it returns"


def test_the_hook_reference_documents_no_hook_that_does_not_exist() -> None:
    text = (DOCS / "hooks.md").read_text()
    documented = re.findall(r"^## `(tensorplug_\w+)`$", text, re.M)
    assert sorted(documented) == hooks()


def toctree_entries() -> list[str]:
    index = (DOCS / "index.md").read_text()
    entries = []
    for lang, body in FENCE.findall(index):
        if lang == "{toctree}":
            entries += [
                line.strip() for line in body.splitlines() if line.strip() and line[0] != ":"
            ]
    return entries


def test_every_page_is_in_the_site_and_every_entry_exists() -> None:
    entries = toctree_entries()
    pages = sorted(p.stem for p in DOCS.glob("*.md") if p.stem not in ("index", "README"))
    assert sorted(entries) == pages, "docs/index.md's toctrees and docs/*.md differ"
    assert len(set(entries)) == len(entries)


def md_files() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", md_files(), ids=lambda p: p.name)
def test_python_examples_are_doctests_or_at_least_valid_python(page: Path) -> None:
    for lang, body in FENCE.findall(page.read_text()):
        if lang not in ("python", "py", "pycon"):
            continue
        if ">>> " in body:
            continue  # run by `pytest --doctest-glob='*.md' docs` in `nox -s docs`
        compile(body, f"{page.name} example", "exec")  # an excerpt: it must at least parse


@pytest.mark.parametrize("page", md_files(), ids=lambda p: p.name)
def test_images_and_local_links_point_at_files_that_exist(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
