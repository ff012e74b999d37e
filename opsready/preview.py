"""`opsready preview --source NAME FILE...`: apply a source profile to files and print what a load would do, without
touching the warehouse (ingest/preview.py). Exit 0 when every file would load, 1 when one would be quarantined
whole, 2 for a bad command line or profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.preview import preview
from ingest.profiles import PROFILE_DIR, ProfileError, load_profile


def cmd_preview(args: argparse.Namespace) -> int:
    profile_dir = Path(args.profiles) if args.profiles else PROFILE_DIR
    try:
        profile = load_profile(args.source, profile_dir)
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return 2
    if profile is None:
        print(f"no profile {args.source!r}: expected {profile_dir / (args.source + '.yaml')}", file=sys.stderr)
        return 2
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        print(f"not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    previews = preview(profile, [Path(f) for f in args.files])
    print("\n\n".join(p.text for p in previews))
    return 1 if any(p.fault for p in previews) else 0


def register_cli(sub) -> None:
    p = sub.add_parser("preview", help="apply a source profile to files and show the result, without a warehouse")
    p.add_argument("--source", required=True, help="the profile (landing folder) name, e.g. erp-midstate")
    p.add_argument("--profiles", help="folder of profiles (default ingest/profiles)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_preview)
