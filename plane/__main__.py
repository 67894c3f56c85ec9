"""``python -m plane``: run the local control plane (see ``plane.server``)."""

from __future__ import annotations

import sys

from plane.server import main

if __name__ == "__main__":
    sys.exit(main())
