"""Find the Pulumi CLI and build the offline environment every command and test runs it with.

This is the one place holding the offline Pulumi settings: a ``file://`` backend, no
update check, no plugin downloads, the repo's venv Python, a private PULUMI_HOME and a
local passphrase file. ``python -m providers.engine env`` prints them as shell exports;
``python -m providers.engine pulumi ARGS...`` runs the CLI with them.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from servingops.errors import ToolError

if TYPE_CHECKING:
    from pulumi import automation as auto

# The CLI version tools/pulumi/build.sh builds (kept equal to PULUMI_VERSION there).
PULUMI_VERSION = "3.259.0"
# Files that must sit together for the Python runtime: the CLI, the language host,
# the program launcher and the dynamic-provider plugin.
BUNDLE = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)
BUILD_HINT = "run `make pulumi` (builds the CLI once into the user cache)"
REPO_ROOT = Path(__file__).resolve().parents[1]
_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.\d+")


def cache_bin_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The bin dir build.sh fills: $SERVINGOPS_CACHE or $XDG_CACHE_HOME/servingops, per version."""
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".cache")
    root = env.get("SERVINGOPS_CACHE") or str(Path(xdg) / "servingops")
    return Path(root) / "pulumi" / f"v{PULUMI_VERSION}" / "bin"


def bundle_complete(bin_dir: Path) -> bool:
    """True when every file of the Python runtime bundle is an executable in ``bin_dir``."""
    return all(os.access(bin_dir / name, os.X_OK) for name in BUNDLE)


def version_compatible(text: str) -> bool:
    """True when ``pulumi version`` output has the same major.minor as PULUMI_VERSION."""
    match = _VERSION_RE.search(text)
    return match is not None and [match.group(1), match.group(2)] == PULUMI_VERSION.split(".")[:2]


def _path_pulumi(environ: Mapping[str, str]) -> Path | None:
    """A compatible ``pulumi`` on PATH whose runtime bundle sits beside it, else None."""
    found = shutil.which("pulumi", path=environ.get("PATH", ""))
    if found is None or not bundle_complete(Path(found).parent):
        return None
    try:
        out = subprocess.run(
            [found, "version"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(found) if out.returncode == 0 and version_compatible(out.stdout) else None


def find_pulumi(environ: Mapping[str, str] | None = None) -> Path:
    """The ``pulumi`` binary to use: a compatible one on PATH, else the build cache."""
    env = os.environ if environ is None else environ
    on_path = _path_pulumi(env)
    if on_path is not None:
        return on_path
    cached = cache_bin_dir(env)
    if bundle_complete(cached):
        return cached / "pulumi"
    raise ToolError(
        f"Pulumi CLI v{PULUMI_VERSION} (with its Python language host) not found "
        f"on PATH or in {cached}",
        hint=BUILD_HINT,
    )


def ensure_passphrase_file(path: Path) -> Path:
    """Create ``path`` once with a random passphrase (mode 600); leave an existing one alone.

    The file is written under a temporary name and linked into place, so a crash never
    leaves an empty passphrase behind; an empty one found later is refused.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(tmp, path)  # atomic; fails if another process won the race
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    if not path.read_text().strip():
        raise ToolError(
            f"the passphrase file {path} is empty",
            hint="delete it only if no stack was created with it; otherwise restore it",
        )
    return path


def _has_passphrase(env: Mapping[str, str]) -> bool:
    """True when the user set a passphrase (an empty one counts: Pulumi accepts it) or a file."""
    return "PULUMI_CONFIG_PASSPHRASE" in env or bool(env.get("PULUMI_CONFIG_PASSPHRASE_FILE"))


def _backend_url(backend_dir: Path | None, repo_root: Path, env: Mapping[str, str]) -> str | None:
    """The file:// backend to set, or None to keep a PULUMI_BACKEND_URL the user chose."""
    if backend_dir is None and env.get("PULUMI_BACKEND_URL"):
        return None
    state = (backend_dir or repo_root / ".pulumi-state").resolve()
    state.mkdir(parents=True, exist_ok=True)
    return state.as_uri()


def offline_env(
    repo_root: Path,
    *,
    pulumi_home: Path | None = None,
    backend_dir: Path | None = None,
    passphrase_file: Path | None = None,
    pulumi: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables to layer over os.environ so the real Pulumi engine runs offline."""
    env = os.environ if environ is None else environ
    root = repo_root.resolve()
    exe = pulumi if pulumi is not None else find_pulumi(env)
    home = (pulumi_home or root / ".servingops" / "pulumi-home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    out = {
        "PATH": os.pathsep.join(p for p in (str(exe.parent), env.get("PATH", "")) if p),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": str(root / ".venv" / "bin" / "python"),
    }
    backend = _backend_url(backend_dir, root, env)
    if backend is not None:
        out["PULUMI_BACKEND_URL"] = backend
    if not _has_passphrase(env):
        target = passphrase_file or root / ".servingops" / "passphrase"
        out["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(ensure_passphrase_file(target))
    return out


def workspace_options(
    project_dir: Path,
    *,
    repo_root: Path = REPO_ROOT,
    pulumi_home: Path | None = None,
    backend_dir: Path | None = None,
    passphrase_file: Path | None = None,
) -> auto.LocalWorkspaceOptions:
    """Automation API options for a project folder, using the same CLI and offline env."""
    from pulumi import automation as auto

    exe = find_pulumi()
    env = offline_env(
        repo_root,
        pulumi_home=pulumi_home,
        backend_dir=backend_dir,
        passphrase_file=passphrase_file,
        pulumi=exe,
    )
    root = str(exe.parent.parent) if exe.parent.name == "bin" else None
    return auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        pulumi_home=env["PULUMI_HOME"],
        env_vars=env,
        pulumi_command=auto.PulumiCommand(root=root),
    )


def format_exports(env: Mapping[str, str]) -> str:
    """``export K='V'`` lines (shell-quoted), one per variable, sorted by name."""
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items()))


def run_pulumi(args: Sequence[str], repo_root: Path = REPO_ROOT) -> int:
    """Run the Pulumi CLI with the offline env in the current directory; its exit code."""
    exe = find_pulumi()
    env = {**os.environ, **offline_env(repo_root, pulumi=exe)}
    return subprocess.run([str(exe), *args], env=env).returncode


def main(argv: Sequence[str] | None = None) -> int:
    """``env`` prints shell exports; ``pulumi ARGS...`` runs the CLI with them."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["env"] and len(args) == 1:
            sys.stdout.write(format_exports(offline_env(REPO_ROOT)))
            return 0
        if args[:1] == ["pulumi"]:
            return run_pulumi(args[1:])
    except ToolError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    sys.stderr.write("usage: python -m providers.engine env | pulumi [ARGS...]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
