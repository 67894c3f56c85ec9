"""`make chromium` (tools/chromium.sh): Debian's Chromium from apt, once, never prompting.

The script runs against fakes of ``id``, ``sudo`` and ``apt-get`` on ``PATH``; the fake
``sudo`` resets the environment as Debian's sudoers does (``Defaults env_reset``), so a
``DEBIAN_FRONTEND`` set before ``sudo`` never reaches apt-get (and tzdata, a dependency on
a fresh machine, then asks for a time zone).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "chromium.sh"


def fake_bin(tmp_path: Path, chromium: Path, calls: Path) -> Path:
    """``id -u`` 1000, an env-resetting ``sudo``, an ``apt-get`` that logs and installs."""
    folder = tmp_path / "bin"
    folder.mkdir()
    scripts = {
        "id": "echo 1000\n",
        "sudo": 'exec env -i PATH="$PATH" "$@"\n',
        "apt-get": (
            f'echo "DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-unset}} $*" >> {calls}\n'
            f'case " $* " in *" install "*) printf "#!/bin/sh\\necho Chromium 1\\n" > {chromium};'
            f" chmod +x {chromium};; esac\n"
        ),
    }
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    return folder


def run_script(tmp_path: Path, chromium: Path, calls: Path) -> str:
    env = {
        **os.environ,
        "PATH": f"{fake_bin(tmp_path, chromium, calls)}:/usr/bin:/bin",
        "CHROMIUM": str(chromium),
    }
    env.pop("DEBIAN_FRONTEND", None)
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=True, timeout=30
    )
    return done.stdout


def test_apt_get_runs_non_interactive_under_sudo(tmp_path: Path) -> None:
    chromium, calls = tmp_path / "chromium", tmp_path / "calls.log"
    out = run_script(tmp_path, chromium, calls)
    installs = [line for line in calls.read_text().splitlines() if " install " in f" {line} "]
    assert installs and all(line.startswith("DEBIAN_FRONTEND=noninteractive ") for line in installs)
    assert "chromium installed: Chromium 1" in out


def test_a_second_run_installs_nothing(tmp_path: Path) -> None:
    chromium, calls = tmp_path / "chromium", tmp_path / "calls.log"
    chromium.write_text("#!/bin/sh\necho Chromium 1\n")
    chromium.chmod(0o755)
    run_script(tmp_path, chromium, calls)
    assert not calls.exists()


def test_an_install_that_leaves_no_chromium_says_why(tmp_path: Path) -> None:
    """A ``chromium`` package that puts its binary elsewhere (not Debian's): the script
    must say so, not exit 1 in silence."""
    chromium, calls = tmp_path / "chromium", tmp_path / "calls.log"
    folder = fake_bin(tmp_path, tmp_path / "elsewhere", calls)
    env = {**os.environ, "PATH": f"{folder}:/usr/bin:/bin", "CHROMIUM": str(chromium)}
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert f"error: apt-get installed chromium but {chromium} is missing" in done.stderr
