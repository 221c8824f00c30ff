"""``python -m diagrams [OUTDIR]``: regenerate every diagram (default: the diagrams/ folder)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from diagrams.generate import generate


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent
    t0 = time.perf_counter()
    files = generate(out)
    print(f"wrote {len(files)} files under {out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
