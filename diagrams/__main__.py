"""``python -m diagrams [OUTDIR [DOCSDIR]]``: regenerate every diagram (default: the diagrams/
folder) and the generated fragments of the documentation (default: docs/generated/)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from diagrams import docs
from diagrams.generate import generate


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    here = Path(__file__).resolve().parent
    out = Path(args[0]) if args else here
    docs_out = Path(args[1]) if len(args) > 1 else here.parent / "docs" / "generated"
    t0 = time.perf_counter()
    files = generate(out)
    print(f"wrote {len(files)} files under {out} in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    files = docs.generate(docs_out)
    print(f"wrote {len(files)} files under {docs_out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
