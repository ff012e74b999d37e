"""`python -m opsready.sample --out DIR --seed N --scale X`: write the sample estate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import generate


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate the estate and print a one-line summary."""
    parser = argparse.ArgumentParser(prog="python -m opsready.sample", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder to write landing/ and manifest.json into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies lines (and hence MES events)")
    args = parser.parse_args(argv)
    manifest = generate(args.out, seed=args.seed, scale=args.scale)
    rows = sum(f["rows"] for f in manifest["files"])
    print(f"wrote {len({f['path'] for f in manifest['files']})} files, {rows} data rows to {args.out} "
          f"in {manifest['generation_seconds']} s (seed {args.seed}, scale {args.scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
