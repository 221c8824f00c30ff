"""``python -m tcpspec.diagrams [-o DIR] [--docs DIR]``: regenerate every diagram and the
generated fragments of the documentation.

From a checkout the defaults are the checkout's own `diagrams/` and `docs/generated/` (what
`make diagrams` does). An installed copy has no checkout: it writes only where it is told, never
into the installed package.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tcpspec.diagrams import docs
from tcpspec.diagrams.generate import generate


def checkout() -> Path | None:
    """The tcpspec repository this generator runs from, or None for an installed copy."""
    root = Path(__file__).resolve().parents[2]
    marks = ("pyproject.toml", "spec/model.py", "diagrams/generator/generate.py")
    return root if all((root / m).is_file() for m in marks) else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tcpspec.diagrams", description=__doc__.split("\n")[0]
    )
    ap.add_argument("-o", "--output", type=Path, help="where the diagrams go (default: diagrams/)")
    ap.add_argument(
        "--docs", type=Path, help="where the documentation fragments go (default: docs/generated/)"
    )
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    root = checkout()
    if root is None and (args.output is None or args.docs is None):
        print(
            "tcpspec: error: this is an installed copy, not a checkout: say where to write, "
            "with -o DIR and --docs DIR",
            file=sys.stderr,
        )
        return 2
    out = args.output or root / "diagrams"  # type: ignore[operator]
    docs_out = args.docs or root / "docs" / "generated"  # type: ignore[operator]
    try:
        t0 = time.perf_counter()
        files = generate(out)
        print(f"wrote {len(files)} files under {out} in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        files = docs.generate(docs_out)
        print(f"wrote {len(files)} files under {docs_out} in {time.perf_counter() - t0:.1f} s")
    except OSError as e:
        print(f"tcpspec: error: cannot write {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
