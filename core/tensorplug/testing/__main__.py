"""``python -m tensorplug.testing --backend NAME``: run the conformance suite on a backend.

Everything after the known options goes to pytest unchanged (``-x``, ``-k add``, ``--tp-quick``,
``--tp-ops 'log*'``, ``-n 4`` with pytest-xdist...). The exit code is pytest's, or 2 when the
backend is unknown, broken or unavailable here (the reason is printed before pytest starts).
"""

from __future__ import annotations

import argparse
import importlib
import sys

PLUGIN = "tensorplug.testing.pytest_plugin"
TESTS = "tensorplug.testing.conformance"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tensorplug-conformance",
        description="Run tensorplug's conformance suite against one backend. Unknown "
        "arguments are passed to pytest.",
        epilog="example: python -m tensorplug.testing --backend numpy --tp-quick -x",
    )
    p.add_argument("--backend", help="registered backend name (see --list)")
    p.add_argument(
        "--backend-module",
        metavar="PKG.MODULE",
        help="register this plugin module first: a backend not installed yet",
    )
    p.add_argument("--list", action="store_true", help="list the discovered backends and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args, rest = _parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    import tensorplug as tp

    added: list[str] = []
    if args.backend_module:
        try:
            module = importlib.import_module(args.backend_module)
        except ImportError as e:
            print(
                f"tensorplug-conformance: cannot import {args.backend_module!r}: {e}",
                file=sys.stderr,
            )
            return 2
        added = tp.plugins.register(module, f"--backend-module {args.backend_module}")
        if not added:  # already discovered through its entry point: use what it declares
            declare = getattr(module, "tensorplug_backends", None)
            added = [spec.name for spec in (declare() if callable(declare) else []) or []]
    if args.list:
        for b in tp.list_backends():
            print(
                f"{b.name:<16}{b.status:<12}{b.version:<12}{b.source}"
                + (f"  ({b.reason})" if b.reason else "")
            )
        return 0
    name = args.backend or (added[0] if len(added) == 1 else None)
    if name is None:
        names = ", ".join(b.name for b in tp.list_backends()) or "(none)"
        print(
            f"tensorplug-conformance: pass --backend NAME; discovered backends: {names}",
            file=sys.stderr,
        )
        return 2
    try:
        # Load it now: an unknown, broken or unavailable backend is a usage error to explain
        # in one line (with the probe's reason), not a pytest session that collects nothing.
        tp.get_backend(name)
    except (ValueError, RuntimeError, TypeError) as e:
        print(f"tensorplug-conformance: {e}", file=sys.stderr)
        return 2
    import pytest

    pytest_args = ["-p", PLUGIN, "-p", "no:cacheprovider", "--tp-backend", name]
    if args.backend_module:
        pytest_args += ["--tp-backend-module", args.backend_module]
    return int(pytest.main([*pytest_args, *rest, "--pyargs", TESTS]))


if __name__ == "__main__":
    sys.exit(main())
