"""``python -m tensorplug.testing.compat --write``: the PyTorch compatibility page.

``docs/pytorch-compat.md`` is generated, never edited: for each namespace model code reaches
into (``torch``, ``torch.Tensor``, ``torch.nn``, ``torch.nn.functional``, ``torch.optim``, its
schedulers, ``torch.linalg``, ``torch.utils.data``, ``torch.accelerator``, ``torch.cuda``),
every PyTorch name tensorplug implements, whether the op database checks it against PyTorch,
what differs (the database's declared known differences; the arguments one side has and the
other lacks), then the commonly used names still missing and the rest.

PyTorch's names come from ``_torch_names.json`` (refreshed by ``--write`` when PyTorch is
installed), so ``--check`` and ``tests/docs/test_compat_page.py`` need no PyTorch.

Example::

    python -m tensorplug.testing.compat --write   # after adding ops, or at a merge
    python -m tensorplug.testing.compat --check   # exit 1 when the page is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ._compat_names import COMMON, NAMESPACES, Arguments, public_names, torch_snapshot

SNAPSHOT = Path(__file__).with_name("_torch_names.json")
PAGE = Path("docs") / "pytorch-compat.md"
COMMAND = "python -m tensorplug.testing.compat --write"

# Arguments tensorplug takes nowhere, said once in the page rather than on every row:
# output buffers, memory layouts and pinning, named tensors, and optimizers' kernel switches.
NEVER: tuple[str, ...] = (
    "out", "layout", "memory_format", "pin_memory", "names",
    "foreach", "fused", "capturable", "differentiable",
)  # fmt: skip


@dataclass
class Row:
    """One PyTorch name tensorplug has: which database entries check it, and what differs."""

    tested: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)


def _spellings(
    info: Any, torch_names: dict[str, dict[str, Arguments]]
) -> list[tuple[str, str, str]]:
    """``(namespace, name, spelling)`` for each PyTorch name a database entry checks;
    ``spelling`` is the variant's name (``""``: the op itself), as known differences name it."""
    ref = info.torch_ref
    if isinstance(ref.fn, str):
        ns, _, name = f"torch.{ref.fn}".rpartition(".")
        out = [(ns, name, "")]
    else:
        found = [ns for ns in ("torch", "torch.Tensor") if info.name in torch_names[ns]]
        out = [(found[0], info.name, "")] if found else []
    out += [(ns, alias, "") for ns, _, _ in out[:1] for alias in info.aliases]
    for v in ref.variants:
        if v.name.startswith("method_"):
            out.append(("torch.Tensor", v.name[len("method_") :], v.name))
        elif v.name.endswith("_") or v.name == "view":
            out.append(("torch.Tensor", v.name, v.name))
    return out


def _applies(pattern: str, spelling: str) -> bool:
    """Whether a known difference's case pattern (``sample`` or ``variant:sample``, globs
    allowed) can match a case of ``spelling``."""
    if ":" in pattern:
        return fnmatchcase(spelling, pattern.split(":", 1)[0])
    return spelling == "" or pattern.startswith("*")


def database_rows(torch_names: dict[str, dict[str, Arguments]]) -> dict[tuple[str, str], Row]:
    """What the op database says of each PyTorch name it checks."""
    from . import op_db

    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    for info in op_db:
        if info.torch_ref is None:
            continue
        for ns, name, spelling in _spellings(info, torch_names):
            row = rows[ns, name]
            if info.name not in row.tested:
                row.tested.append(info.name)
            for pattern, why in info.torch_ref.known_differences:
                if _applies(pattern, spelling) and why not in row.differences:
                    row.differences.append(why)
    return rows


def _argument_differences(theirs: Arguments, ours: Arguments) -> list[str]:
    if theirs is None or ours is None:
        return []
    skip = (*NEVER, "args", "kwargs")  # a catch-all on either side says nothing
    missing = [a for a in theirs if a not in ours and a not in skip and not a.startswith("_")]
    extra = [a for a in ours if a not in theirs and a not in skip and not a.startswith("_")]
    out = []
    if missing:
        out.append("no argument " + ", ".join(f"`{a}`" for a in missing))
    if extra:
        out.append("extra argument " + ", ".join(f"`{a}`" for a in extra))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section(torch_ns: str, tp_ns: str, theirs: dict[str, Arguments], rows: Any) -> list[str]:
    ours = public_names(tp_ns)
    have = sorted(n for n in theirs if n in ours)
    common = [n for n in COMMON.get(torch_ns, ()) if n in theirs and n not in ours]
    rest = sorted(n for n in theirs if n not in ours and n not in common)
    only = sorted(n for n in ours if n not in theirs)
    lines = [f"## `{torch_ns}` → `{tp_ns}`", ""]
    if not ours:
        lines += [f"`{tp_ns}` does not exist yet.", ""]
    lines += [f"{len(have)} of PyTorch's {len(theirs)} names.", ""]
    if have:
        lines += ["| name | checked against PyTorch by | differences |", "|---|---|---|"]
        for name in have:
            row = rows.get((torch_ns, name), Row())
            diffs = row.differences + _argument_differences(theirs[name], ours[name])
            tested = ", ".join(f"`{t}`" for t in row.tested) or "—"
            lines.append(f"| `{name}` | {tested} | {_cell('; '.join(diffs)) or '—'} |")
        lines.append("")
    if common:
        lines += ["**Missing, commonly used:** " + ", ".join(f"`{n}`" for n in common), ""]
    if rest:
        lines += [f"<details><summary>Other PyTorch names not here ({len(rest)})</summary>", ""]
        lines += [", ".join(f"`{n}`" for n in rest), "", "</details>", ""]
    if only:
        lines += ["Only in tensorplug: " + ", ".join(f"`{n}`" for n in only), ""]
    return lines


def render(snapshot: dict[str, Any]) -> str:
    """The page, from PyTorch's recorded names, tensorplug's and the op database."""
    torch_names = snapshot["namespaces"]
    rows = database_rows(torch_names)
    lines = [
        "# PyTorch compatibility",
        "",
        f"<!-- GENERATED by `{COMMAND}`: do not edit. Regenerate after adding ops, and when "
        "merging branches that add ops (tests/docs/test_compat_page.py fails while it is "
        "stale). -->",
        "",
        f"Generated from tensorplug's public namespaces, its op database "
        f"(`tensorplug/testing/_opdb_*.py`) and the names of PyTorch "
        f"{snapshot['torch_version']} (recorded in `tensorplug/testing/_torch_names.json`). "
        f"Regenerate with `{COMMAND}`.",
        "",
        "A name *checked against PyTorch* has an op database entry whose every sample runs in "
        "both libraries (values, dtypes, node names, gradients, errors; "
        "`tests/ops/test_torch_parity.py`). *Differences* are the entry's declared known "
        "differences and the arguments one side has and the other lacks. No function takes "
        + ", ".join(f"`{a}=`" for a in NEVER)
        + ", so these are not listed per name.",
        "",
        "| namespace | PyTorch names | in tensorplug | commonly used, missing |",
        "|---|---|---|---|",
    ]
    sections: list[str] = []
    for torch_ns, tp_ns in NAMESPACES:
        theirs = torch_names.get(torch_ns, {})
        ours = public_names(tp_ns)
        common = [n for n in COMMON.get(torch_ns, ()) if n in theirs and n not in ours]
        have = sum(n in ours for n in theirs)
        lines.append(f"| `{torch_ns}` | {len(theirs)} | {have} | {len(common)} |")
        sections += _section(torch_ns, tp_ns, theirs, rows)
    return "\n".join([*lines, "", *sections]).rstrip() + "\n"


def load_snapshot() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tensorplug.testing.compat", description=__doc__)
    p.add_argument("--write", action="store_true", help="refresh PyTorch's names if it is "
                   "installed, then write the page")  # fmt: skip
    p.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    p.add_argument("--page", type=Path, default=PAGE, help=f"the page (default: {PAGE})")
    args = p.parse_args(argv)
    if args.write:
        try:
            snapshot = torch_snapshot()
        except ImportError:
            print("PyTorch is not installed: its recorded names are used", file=sys.stderr)
            snapshot = load_snapshot()
        else:
            SNAPSHOT.write_text(json.dumps(snapshot, indent=0, sort_keys=True) + "\n")
        args.page.write_text(render(snapshot), encoding="utf-8")
        print(f"wrote {args.page}")
        return 0
    text = render(load_snapshot())
    if args.check:
        stale = not args.page.exists() or args.page.read_text(encoding="utf-8") != text
        if stale:
            print(f"{args.page} is stale: run {COMMAND}", file=sys.stderr)
        return int(stale)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
