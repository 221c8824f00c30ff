"""The `tcpspec` command line.

    tcpspec verify             every property, every scenario, default bounds
    tcpspec trace PROPERTY     the shortest counterexample (or witness) for one property
    tcpspec mutants            every broken variant of TCP, and what catches it
    tcpspec list               properties, mutants and scenarios

Exit status: 0 all good, 1 a property is violated (or a mutant escapes), 2 bad usage.
Each command lives in its own module, `tcpspec/cli/cmd_*.py`; importing it registers it.
"""

from __future__ import annotations

import importlib
import pkgutil

from tcpspec.cli.app import app

__all__ = ["app", "main"]

# Sorted, so `tcpspec --help` lists the commands in the same order everywhere.
for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod.startswith("cmd_"):
        importlib.import_module(f"tcpspec.cli.{_mod}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
