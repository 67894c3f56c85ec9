"""``plane.server.write_env_file``: the owner-only file that holds the plane's credentials.

The temporary file it writes first is created exclusively with a fresh random name
(``tempfile.mkstemp``: ``O_CREAT | O_EXCL``, mode 0600), so a file or symlink already
lying at a predictable name cannot receive the token.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from plane.server import write_env_file

ENV = {"DATABRICKS_HOST": "http://127.0.0.1:1", "DATABRICKS_TOKEN": "dapi-SENTINEL-42"}


def test_a_symlink_at_the_old_temporary_name_receives_nothing(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("")
    env_file = tmp_path / "plane.env"
    (tmp_path / f".plane.env.{os.getpid()}.tmp").symlink_to(victim)

    write_env_file(env_file, ENV)

    assert victim.read_text() == ""
    assert "export DATABRICKS_TOKEN=dapi-SENTINEL-42" in env_file.read_text().splitlines()
    assert not env_file.is_symlink()
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_rewriting_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    env_file = tmp_path / "plane.env"
    write_env_file(env_file, ENV)
    write_env_file(env_file, {**ENV, "DATABRICKS_TOKEN": "dapi-second"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plane.env"]
    assert "export DATABRICKS_TOKEN=dapi-second" in env_file.read_text().splitlines()
