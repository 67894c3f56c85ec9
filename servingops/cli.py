"""The ``servingops`` command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    print("servingops: not yet implemented", file=sys.stderr)
    return 2
