"""docs/pytorch-compat.md is generated (``python -m tensorplug.testing.compat --write``): it
must be what the generator makes now from tensorplug, its op database and PyTorch's recorded
names, and those names must be the installed PyTorch's (that one comparison only needs it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tensorplug.testing import compat
from tensorplug.testing._compat_names import NAMESPACES

PAGE = Path(__file__).parents[2] / "docs" / "pytorch-compat.md"


def test_the_page_is_up_to_date() -> None:
    expected = compat.render(compat.load_snapshot())
    assert PAGE.read_text(encoding="utf-8") == expected, (
        f"docs/pytorch-compat.md is stale: run `{compat.COMMAND}`"
    )


def test_the_page_has_a_section_per_namespace_and_says_how_to_regenerate() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert compat.COMMAND in text.split("\n\n")[1]  # in the header
    sections = re.findall(r"^## `([\w.]+)` → `([\w.]+)`$", text, re.M)
    assert sections == list(NAMESPACES)
    assert "| `add` | `add` | — |" in text  # an op the database checks, without differences
    assert "| `DataLoader` | — |" in text
    rows = compat.database_rows(compat.load_snapshot()["namespaces"])
    for row in rows.values():  # every declared known difference is on the page
        for why in row.differences:
            assert compat._cell(why) in text


def test_a_known_difference_is_shown_on_its_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import tensorplug.testing as kit

    def declare(info: Any) -> Any:
        if info.name != "clamp":
            return info
        differs = (("*special", "on every spelling"), ("clamp_:tensor_bounds", "in place only"))
        ref = dataclasses.replace(info.torch_ref, known_differences=differs)
        return dataclasses.replace(info, torch_ref=ref)

    monkeypatch.setattr(kit, "op_db", [declare(info) for info in kit.op_db])
    rows = compat.database_rows(compat.load_snapshot()["namespaces"])
    assert rows["torch", "clamp"].differences == ["on every spelling"]
    assert rows["torch", "clip"].differences == ["on every spelling"]  # the alias
    assert rows["torch.Tensor", "clamp"].differences == ["on every spelling"]
    assert rows["torch.Tensor", "clamp_"].differences == ["on every spelling", "in place only"]
    assert rows["torch.Tensor", "clamp_"].tested == ["clamp"]


def test_recorded_pytorch_names_are_the_installed_pytorchs() -> None:
    pytest.importorskip("torch", reason="PyTorch's names are compared with the installed one")
    from tensorplug.testing._compat_names import torch_snapshot

    assert compat.load_snapshot() == torch_snapshot(), (
        f"tensorplug/testing/_torch_names.json is not this PyTorch's: run `{compat.COMMAND}`"
    )


def test_check_says_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "page.md"
    page.write_text("old\n")
    assert compat.main(["--check", "--page", str(page)]) == 1
    assert compat.COMMAND in capsys.readouterr().err
    page.write_text(PAGE.read_text(encoding="utf-8"))
    assert compat.main(["--check", "--page", str(page)]) == 0
