"""``python -m tensorplug`` / ``tensorplug``: the environment doctor.

``tensorplug info`` says which versions and backends this Python sees and, for each backend
that cannot run, why and what to install; ``tensorplug plugins`` lists the hooks and the entry
points. Both take ``--json`` for machines (CI logs, bug reports).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for a usage error)."""
    parser = argparse.ArgumentParser(
        prog="tensorplug",
        description="Diagnose a tensorplug installation: versions, backends, plugins, GPUs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    info = sub.add_parser(
        "info", help="versions, every backend's status and why, CuPy/CUDA diagnosis"
    )
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    plugins = sub.add_parser("plugins", help="hooks, entry points and registered plugins")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    from . import _info

    if args.command == "info":
        data = _info.collect_info()
        text = _info.format_info(data)
    elif args.command == "plugins":
        data = _info.collect_plugins()
        text = _info.format_plugins(data)
    else:
        parser.print_help()
        return 2
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n" if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
