"""Build a control-plane client for the CLI: flags, then ``DATABRICKS_*``, then the local plane.

After ``make demo`` the local plane's address and token are in
``.servingops/plane.env``; commands run from the repository pick them up when no
``DATABRICKS_HOST`` is set, so ``servingops drift`` works without exporting anything.
Timeouts and the retry budget come from ``SERVINGOPS_HTTP_TIMEOUT``,
``SERVINGOPS_CONNECT_TIMEOUT`` and ``SERVINGOPS_RETRY_BUDGET`` (seconds; see
``servingops.clientsettings``) unless ``settings`` are given.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from servingops.client import ControlPlaneClient
from servingops.clientsettings import ClientSettings

PLANE_ENV = Path(".servingops") / "plane.env"


def read_plane_env(path: Path = PLANE_ENV) -> dict[str, str]:
    """``KEY=VALUE`` pairs of a plane.env file (``export`` prefixes allowed); {} if absent."""
    if not path.is_file():
        return {}
    pairs: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        words = shlex.split(line.removeprefix("export ").strip())
        if len(words) == 1 and "=" in words[0]:
            key, _, value = words[0].partition("=")
            pairs[key] = value
    return pairs


def connect(
    host: str | None = None, token: str | None = None, settings: ClientSettings | None = None
) -> ControlPlaneClient:
    """A client from flags, else the environment, else ``.servingops/plane.env``.

    Raises ``UsageError`` without a host or credentials, ``ConfigError`` when a
    ``SERVINGOPS_*`` setting is not a valid number of seconds.
    """
    env = dict(os.environ)
    if not (host or env.get("DATABRICKS_HOST")):
        env |= read_plane_env()
    return ControlPlaneClient.from_env(host=host, token=token, env=env, settings=settings)
