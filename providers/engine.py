"""Find the Pulumi CLI, build the offline environment every command and test runs it with,
and run it so that an interrupt never leaves a mess.

This is the one place holding the offline Pulumi settings: a ``file://`` backend, no
update check, no plugin downloads, the repo's venv Python, a private PULUMI_HOME and a
local passphrase file. ``python -m providers.engine env`` prints them as shell exports;
``python -m providers.engine pulumi ARGS...`` runs the CLI with them, as a supervised
child: Ctrl-C, SIGTERM and SIGHUP become Pulumi's clean cancel (a second one forces it),
Pulumi is never left running on its own, and plugins it leaves behind are stopped.

After a run that was killed or forced: ``pending [--stack S]`` lists the pending
operations in the state, ``locks [--stack S]`` the stack's lock files, and
``recover [--stack S]`` removes stale locks and clears pending operations
(``pulumi refresh --clear-pending-creates``). Exit codes: 0 nothing found / recovered,
1 something found / not recovered, 2 usage or error, 128+N interrupted by signal N.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

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
DEFAULT_PARALLEL = 64
"""``PULUMI_PARALLEL`` unless the user set it: resource operations the engine runs at once.
Pulumi's default is 4 × CPUs (8 on 2 cores; pkg/cmd/pulumi/operations/up.go
``defaultParallel``), too few when each create waits minutes for its endpoint to settle;
equal to the provider server's default workers (``providers.server.DEFAULT_WORKERS``)."""
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
    if not env.get("PULUMI_PARALLEL"):
        out["PULUMI_PARALLEL"] = str(DEFAULT_PARALLEL)
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


def project_settings(repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """This repo's ``Pulumi.yaml`` for a project folder elsewhere (tests, the bench): the
    ``virtualenv`` and the ``plugins`` paths made absolute (Pulumi resolves them against
    the project folder and refuses a plugin folder that does not exist there)."""
    settings: dict[str, Any] = yaml.safe_load((repo_root / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = str(repo_root / ".venv")
    for plugin in (settings.get("plugins") or {}).get("providers") or []:
        plugin["path"] = str(repo_root / plugin["path"])
    return settings


def format_exports(env: Mapping[str, str]) -> str:
    """``export K='V'`` lines (shell-quoted), one per variable, sorted by name."""
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items()))


# --- running the CLI: interrupts ----------------------------------------------------------
#
# Pulumi's own rule (pkg/backend/cancellation_scope.go, v3.259.0): during an operation the
# first SIGINT or SIGTERM cancels cleanly (operations in flight finish and are recorded,
# the state is saved, the lock released, plugins stopped); the next one terminates at once,
# which can leave pending operations. So the wrapper never kills Pulumi: it passes each
# interrupt on as exactly one SIGINT, and waits.
#
# Who receives Ctrl-C decides where Pulumi runs. A terminal sends SIGINT to its whole
# foreground process group, and Pulumi's interactive display reads the key itself in raw
# mode. So when we are in the terminal's foreground group, Pulumi stays in it: it gets the
# terminal's Ctrl-C directly (and can use the terminal), and the wrapper does not forward
# a SIGINT the terminal sent (si_code SI_KERNEL), or Pulumi would count it twice. Otherwise
# (CI, a background job, `timeout`, another program) Pulumi gets its own process group,
# so a signal to our group reaches only the wrapper, which forwards it once.

INTERRUPTS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
ORPHAN_GRACE_SECONDS = 5.0
"""How long left-behind plugins get after a SIGINT before SIGKILL (what Pulumi gives them)."""
_SI_KERNEL = 0x80  # si_code of a signal the kernel sent, e.g. a terminal's Ctrl-C
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class ProcessInfo:
    """One row of /proc: enough to find a process's parent, group, session and age."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start_ticks: int


def process_info(pid: int) -> ProcessInfo | None:
    """``/proc/PID/stat`` parsed (Linux), or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name sits in parentheses and may itself hold spaces or ')'
    fields = text[text.rindex(")") + 2 :].split()
    return ProcessInfo(
        pid, int(fields[1]), int(fields[2]), int(fields[3]), fields[0], int(fields[19])
    )


def processes() -> list[ProcessInfo]:
    """Every process visible in /proc (empty where there is no /proc)."""
    try:
        names = [entry.name for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    found = (process_info(int(name)) for name in names)
    return [info for info in found if info is not None]


def _started_at(info: ProcessInfo) -> float | None:
    """When a process started, in epoch seconds (Linux), or None."""
    try:
        stat = Path("/proc/stat").read_text()
        boot = next(int(line.split()[1]) for line in stat.splitlines() if line.startswith("btime"))
        return boot + info.start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError):
        return None


def _prctl() -> Callable[[int, int], int] | None:
    """prctl(2) through ctypes on Linux; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    function.restype = ctypes.c_int

    def call(option: int, value: int) -> int:
        return int(function(option, value, 0, 0, 0))

    return call


def terminal_foreground() -> bool:
    """True when we have a controlling terminal and our process group is its foreground."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


@dataclass
class Outcome:
    """How a supervised run ended."""

    pid: int
    """The child's pid (gone by now)."""
    returncode: int
    """The child's exit status, or -N when signal N ended it."""
    interrupts: list[int] = field(default_factory=list)
    """The interrupt signals the wrapper received, in order."""
    delivered: int = 0
    """Interrupts the child got: those forwarded plus the terminal's own Ctrl-C."""
    orphans: list[int] = field(default_factory=list)
    """Descendants still running after the child exited, which the wrapper stopped."""

    @property
    def exit_code(self) -> int:
        """128 + the first interrupt (130 SIGINT, 143 SIGTERM) if interrupted, else the child's."""
        if self.interrupts:
            return 128 + self.interrupts[0]
        return self.returncode if self.returncode >= 0 else 128 - self.returncode

    @property
    def cut_short(self) -> bool:
        """The child was forced (a second interrupt) or killed: its work may be half done."""
        return self.delivered >= 2 or self.returncode < 0


class _Inbox:
    """Interrupts for the wrapper, read in its main loop (no handler runs at a random point).

    With ``sigtimedwait`` (Linux and most Unixes) the signals are blocked and read with
    their ``si_code``, which tells a terminal's Ctrl-C from a kill(). Without it (macOS),
    handlers queue them and a SIGINT in the terminal's foreground is taken to be the
    terminal's.
    """

    def __init__(self) -> None:
        self.precise = hasattr(signal, "sigtimedwait")
        self.watched = {*INTERRUPTS, signal.SIGCHLD}
        self.queue: list[int] = []
        self.saved_mask: set[int] = set()
        self.saved_handlers: dict[int, Any] = {}

    def __enter__(self) -> _Inbox:
        if self.precise:
            self.saved_mask = set(signal.pthread_sigmask(signal.SIG_BLOCK, self.watched))
        else:
            for sig in INTERRUPTS:
                self.saved_handlers[sig] = signal.signal(sig, self._queue)
        return self

    def _queue(self, signum: int, _frame: object) -> None:
        self.queue.append(signum)

    def get(self, timeout: float) -> tuple[int, bool] | None:
        """The next (signal, sent by the kernel) pair, or None after ``timeout`` seconds."""
        if not self.precise:
            if not self.queue:
                time.sleep(timeout)
            return (self.queue.pop(0), True) if self.queue else None
        info = signal.sigtimedwait(self.watched, timeout)
        return None if info is None else (info.si_signo, info.si_code == _SI_KERNEL)

    def drain(self) -> list[int]:
        """Interrupts that arrived but were not read yet."""
        if not self.precise:
            queued, self.queue = self.queue, []
            return queued
        late: list[int] = []
        while (info := signal.sigtimedwait(INTERRUPTS, 0)) is not None:
            late.append(info.si_signo)
        return late

    def child_setup(self) -> None:
        """In the child before exec: the parent's signal mask, not our blocked one."""
        if self.precise:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.saved_mask)

    def __exit__(self, *_exc: object) -> None:
        if self.precise:
            self.drain()
            signal.pthread_sigmask(signal.SIG_SETMASK, self.saved_mask)
        else:
            for sig, handler in self.saved_handlers.items():
                signal.signal(sig, handler)


def _say_to_stderr(text: str) -> None:
    """``engine: TEXT`` on stderr; a leading newline in TEXT (ending a progress line) stays."""
    lead = "\n" if text.startswith("\n") else ""
    try:
        sys.stderr.write(f"{lead}engine: {text.lstrip()}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed terminal or pipe must not stop the supervision


def supervise(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    say: Callable[[str], None] = _say_to_stderr,
) -> Outcome:
    """Run ``argv`` and stay with it until it exits, passing interrupts on as SIGINT.

    - SIGINT, SIGTERM or SIGHUP to the wrapper: one SIGINT to the child (the first cancels
      Pulumi cleanly, the next forces it), except a Ctrl-C the terminal already delivered
      to the child (same foreground group, see above). A repeated SIGHUP is one hangup.
    - The child ignores SIGHUP (a closed terminal cancels it through us instead of killing
      it) and, on Linux, gets SIGINT if the wrapper dies (``PR_SET_PDEATHSIG``).
    - On Linux the wrapper is a child subreaper: plugin processes the child leaves behind
      (it was killed, or forced) come to us, and are stopped once the child has exited:
      SIGINT, then SIGKILL after ORPHAN_GRACE_SECONDS.
    The wrapper itself never SIGKILLs the child.
    """
    same_group = terminal_foreground()
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_CHILD_SUBREAPER, 1)
    parent = os.getpid()
    with _Inbox() as inbox:

        def child_setup() -> None:
            inbox.child_setup()
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # even if we were started ignoring it
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            if prctl is not None:
                prctl(_PR_SET_PDEATHSIG, signal.SIGINT)
                if os.getppid() != parent:
                    raise RuntimeError("the engine wrapper exited before Pulumi started")

        child = subprocess.Popen(
            list(argv),
            env=None if env is None else dict(env),
            cwd=cwd,
            preexec_fn=child_setup,
            process_group=None if same_group else 0,
        )
        outcome = Outcome(child.pid, 0)
        try:
            _watch(child, inbox, same_group, outcome, say)
        finally:
            if child.poll() is None:  # only on an internal error: still cancel, never abandon
                child.send_signal(signal.SIGINT)
                child.wait()
            outcome.returncode = child.returncode
            outcome.orphans = stop_orphans(ORPHAN_GRACE_SECONDS)  # signals still held
            outcome.interrupts += inbox.drain()
    return outcome


def _watch(
    child: subprocess.Popen[bytes],
    inbox: _Inbox,
    same_group: bool,
    outcome: Outcome,
    say: Callable[[str], None],
) -> None:
    hung_up = False
    while child.poll() is None:
        got = inbox.get(_POLL_SECONDS)
        if got is None:
            continue
        if got[0] == signal.SIGCHLD:
            _reap_zombies(skip=child.pid)
            continue
        sig, from_kernel = got
        outcome.interrupts.append(sig)
        if sig == signal.SIGHUP:
            if hung_up:
                continue
            hung_up = True
        outcome.delivered += 1
        name = signal.Signals(sig).name
        if same_group and sig == signal.SIGINT and from_kernel:
            continue  # the terminal sent this Ctrl-C to Pulumi too; Pulumi says what it does
        try:
            child.send_signal(signal.SIGINT)
        except ProcessLookupError:
            break
        if outcome.delivered == 1:
            say(
                f"\n{name} received: asked Pulumi to cancel (SIGINT). It finishes the operations "
                "in flight, saves the state and releases the lock; this can take a while. "
                f"Send {name} again to stop it at once (that can leave pending operations)."
            )
        else:
            say(f"\n{name} received again: told Pulumi to stop at once (second SIGINT).")


def _reap(pid: int) -> bool:
    """Collect ``pid`` if it has exited; True when it is gone (or not our child)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _reap_zombies(skip: int) -> None:
    """Collect exited processes reparented to us (we are a subreaper), not ``skip``."""
    me = os.getpid()
    for info in processes():
        if info.ppid == me and info.pid != skip and info.state == "Z":
            _reap(info.pid)


def _signal_tree(info: ProcessInfo, sig: int) -> None:
    """``sig`` to the process's group when that group is not ours, else to the process."""
    try:
        if info.pgid != os.getpgrp():
            os.killpg(info.pgid, sig)
        else:
            os.kill(info.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_orphans(grace: float) -> list[int]:
    """Stop every process reparented to us: SIGINT, SIGKILL after ``grace`` s; their pids.

    Pulumi's plugins run in their own process groups; if Pulumi dies without closing them
    (killed, or forced), they would keep running (a dynamic provider finishes its create,
    then waits forever). As a subreaper we inherit them, and stop them here.
    """
    me = os.getpid()
    stopped: list[int] = []
    interrupted: set[int] = set()
    deadline = time.monotonic() + grace
    give_up = deadline + 5.0
    while True:
        live = []
        for info in processes():
            if info.ppid != me:
                continue
            if info.state in ("Z", "X"):
                _reap(info.pid)
            else:
                live.append(info)
        now = time.monotonic()
        if not live or now > give_up:
            return stopped
        for info in live:
            if info.pid not in stopped:
                stopped.append(info.pid)
            if now >= deadline:
                _signal_tree(info, signal.SIGKILL)
            elif info.pid not in interrupted:
                interrupted.add(info.pid)
                _signal_tree(info, signal.SIGINT)
        time.sleep(0.05)


# --- stack locks (file backend) --------------------------------------------------------------
#
# The file backend takes a lock for every update, refresh, destroy and import: a JSON file
# .pulumi/locks/<org>/<project>/<stack>/<id>.json with the holder's pid, user, host and
# time, removed at the end. A Pulumi that is killed leaves it behind, and every later
# update fails with "the stack is currently locked by 1 lock(s)" (previews do not lock).
# In v3.259.0 `pulumi cancel` deletes all of a stack's lock files, held or not.

HOLDER_RUNNING = "running"
HOLDER_GONE = "gone"
HOLDER_ELSEWHERE = "elsewhere"


@dataclass(frozen=True)
class StackLock:
    """One lock file and what is known of its holder."""

    path: Path
    pid: int
    user: str
    host: str
    since: str
    holder: str
    """HOLDER_RUNNING, HOLDER_GONE (stale: safe to delete) or HOLDER_ELSEWHERE (cannot tell)."""

    @property
    def stale(self) -> bool:
        return self.holder == HOLDER_GONE

    def describe(self) -> str:
        return f"pulumi pid {self.pid} ({self.user}@{self.host}, since {self.since})"


def backend_dir(env: Mapping[str, str]) -> Path | None:
    """The folder of a ``file://`` PULUMI_BACKEND_URL, else None."""
    url = env.get("PULUMI_BACKEND_URL", "")
    if not url.startswith("file://"):
        return None
    parts = urllib.parse.urlsplit(url)
    return Path(urllib.parse.unquote(parts.netloc + parts.path)).expanduser()


def _epoch(stamp: str) -> float | None:
    """An RFC 3339 time as Go writes it (nanoseconds, Z) in epoch seconds, or None."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", stamp.strip()).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def holder_state(pid: int, host: str, since: str) -> str:
    """Whether the process that took a lock still runs: by host, pid, and its start time."""
    if host != socket.gethostname():
        return HOLDER_ELSEWHERE
    if pid <= 0:
        return HOLDER_GONE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return HOLDER_GONE
    except PermissionError:
        pass  # someone else's process: it exists
    info = process_info(pid)
    if info is not None:
        if info.state in ("Z", "X"):
            return HOLDER_GONE
        started, locked = _started_at(info), _epoch(since)
        if started is not None and locked is not None and started > locked + 2:
            return HOLDER_GONE  # the pid was reused by a process younger than the lock
    return HOLDER_RUNNING


def read_lock(path: Path) -> StackLock:
    """A lock file; an unreadable one counts as held elsewhere (never deleted for you)."""
    try:
        data = json.loads(path.read_text())
        pid, user = int(data["pid"]), str(data["username"])
        host, since = str(data["hostname"]), str(data["timestamp"])
    except (OSError, ValueError, KeyError, TypeError):
        return StackLock(path, 0, "?", "?", "?", HOLDER_ELSEWHERE)
    return StackLock(path, pid, user, host, since, holder_state(pid, host, since))


def _locks_root(backend: Path) -> Path:
    return backend / ".pulumi" / "locks"


def stack_locks(backend: Path, stack: str, project: str | None) -> list[StackLock]:
    """The lock files of ``stack`` (``name``, ``project/name`` or ``org/project/name``)."""
    parts = stack.split("/")
    name = parts[-1]
    project = parts[-2] if len(parts) > 1 else project
    org = parts[-3] if len(parts) > 2 else "*"
    root = _locks_root(backend)
    paths = set(root.glob(f"{org}/{project or '*'}/{name}/*.json"))
    paths.update(root.glob(f"{name}/*.json"))  # stacks made before project-scoped names
    return [read_lock(path) for path in sorted(paths)]


def locks_held_by(backend: Path, pid: int) -> list[StackLock]:
    """Lock files on this host that process ``pid`` took (any stack)."""
    found = (read_lock(path) for path in sorted(_locks_root(backend).glob("**/*.json")))
    return [lock for lock in found if lock.pid == pid and lock.host == socket.gethostname()]


def remove_lock(lock: StackLock) -> None:
    """Delete a lock file and the attributes file the backend keeps beside it."""
    lock.path.unlink(missing_ok=True)
    lock.path.with_name(lock.path.name + ".attrs").unlink(missing_ok=True)


# --- pending operations -----------------------------------------------------------------
#
# Pulumi records an operation as pending when it starts it and clears it when the provider
# answers. Killed in between, the state keeps it: `pulumi stack export` shows it under
# deployment.pending_operations. Any later update or refresh drops pending updates and
# deletes, but keeps pending creates until someone decides: the resource may exist or not.
# `up --refresh` keeps them silently. v3.259.0 resolves creates three ways: interactively in
# `pulumi refresh`, `--import-pending-creates URN ID`, or `--clear-pending-creates`. We clear
# them: the provider adopts an endpoint that carries this stack's ownership tag, so the
# next `up` converges whether or not the interrupted create reached the control plane.

RESOLVE_PENDING = (
    "refresh",
    "--clear-pending-creates",
    "--yes",
    "--skip-preview",
    "--suppress-outputs",
)


@dataclass(frozen=True)
class PendingOperation:
    """An operation an interrupted run left in the state."""

    kind: str
    """creating, updating, deleting, reading or importing."""
    urn: str

    def line(self) -> str:
        return f"pending {self.kind:<9} {self.urn}"


def parse_pending(export: Mapping[str, Any]) -> list[PendingOperation]:
    """The pending operations in ``pulumi stack export`` output."""
    deployment = export.get("deployment") or {}
    found = []
    for op in deployment.get("pending_operations") or []:
        resource = op.get("resource") or {}
        found.append(PendingOperation(str(op.get("type", "?")), str(resource.get("urn", "?"))))
    return found


def _pulumi_output(exe: Path, args: Sequence[str], env: Mapping[str, str], what: str) -> str:
    proc = subprocess.run(
        [str(exe), *args, "--non-interactive"], env=dict(env), capture_output=True, text=True
    )
    if proc.returncode != 0:
        detail = " ".join(proc.stderr.split())[-400:]
        raise ToolError(f"`pulumi {' '.join(args)}` failed ({what}): {detail}")
    return proc.stdout


def pending_operations(exe: Path, stack: str, env: Mapping[str, str]) -> list[PendingOperation]:
    """``pulumi stack export --stack STACK`` (in the current directory), parsed."""
    text = _pulumi_output(exe, ["stack", "export", "--stack", stack], env, "reading the state")
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ToolError(f"`pulumi stack export` printed something that is not JSON: {err}") from err
    return parse_pending(data)


# --- the module's command line --------------------------------------------------------------

USAGE = (
    "usage: python -m providers.engine env | pulumi [ARGS...] | pending [--stack S] "
    "| locks [--stack S] | recover [--stack S]\n"
)


def _stack_of(args: Sequence[str]) -> str | None:
    """The value of ``--stack``/``-s`` in Pulumi arguments, if any."""
    for i, arg in enumerate(args):
        if arg in ("--stack", "-s") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--stack="):
            return arg.split("=", 1)[1]
    return None


def _stack_flag(stack: str | None) -> str:
    return f" --stack {shlex.quote(stack)}" if stack else ""


def run_pulumi(args: Sequence[str], repo_root: Path = REPO_ROOT) -> int:
    """Run the Pulumi CLI with the offline env in the current directory, supervised.

    See ``supervise`` for interrupts. Afterwards: a lock the dead Pulumi left behind is
    removed (its holder is gone for certain), and a run cut short says how to recover.
    """
    exe = find_pulumi()
    env = {**os.environ, **offline_env(repo_root, pulumi=exe)}
    outcome = supervise([str(exe), *args], env=env)
    notes = []
    backend = backend_dir(env)
    for lock in locks_held_by(backend, outcome.pid) if backend else []:
        if not lock.stale:
            continue  # the pid is already someone else's, and so is this lock
        remove_lock(lock)
        notes.append(f"removed the lock Pulumi (pid {lock.pid}) left at {lock.path}")
    if outcome.orphans:
        pids = " ".join(map(str, outcome.orphans))
        notes.append(f"stopped plugin processes Pulumi left behind (pid {pids})")
    stack = _stack_flag(_stack_of(args))
    if outcome.cut_short:
        notes.append(
            "Pulumi stopped before it finished, so the state may hold pending operations "
            "(a create or update cut short). List them: python -m providers.engine pending"
            f"{stack}; clear them: python -m providers.engine recover{stack} "
            "(make demo does this before its update)."
        )
    elif outcome.interrupts:
        notes.append(
            f"Pulumi cancelled cleanly (exit {outcome.returncode}): what was in flight "
            "finished and is recorded. Run the same command again to carry on."
        )
    for i, note in enumerate(notes):
        _say_to_stderr("\n" + note if i == 0 else note)
    return outcome.exit_code


def _project_name(cwd: Path) -> str | None:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        try:
            data = yaml.safe_load((cwd / name).read_text())
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return str(data["name"])
    return None


def _inspect(args: Sequence[str], repo_root: Path) -> int:
    """``pending``, ``locks`` and ``recover``: 0 clean, 1 found / not recovered, 2 error."""
    parser = argparse.ArgumentParser(prog="python -m providers.engine")
    parser.add_argument("command", choices=("pending", "locks", "recover"))
    parser.add_argument("--stack", "-s", help="the stack (default: the selected one)")
    opts = parser.parse_args(args)
    exe = find_pulumi()
    env = {**os.environ, **offline_env(repo_root, pulumi=exe)}
    stack = (
        opts.stack
        or _pulumi_output(
            exe, ["stack", "--show-name"], env, "no stack selected: pass --stack"
        ).strip()
    )
    if opts.command == "pending":
        return _report_pending(pending_operations(exe, stack, env), stack)
    if opts.command == "locks":
        return _report_locks(_locks(stack, env), stack, fix=False)
    return _recover(exe, stack, env)


def _locks(stack: str, env: Mapping[str, str]) -> list[StackLock]:
    backend = backend_dir(env)
    return stack_locks(backend, stack, _project_name(Path.cwd())) if backend else []


def _report_pending(found: list[PendingOperation], stack: str) -> int:
    for op in found:
        sys.stdout.write(op.line() + "\n")
    if not found:
        _say_to_stderr(f"stack {stack}: no pending operations")
        return 0
    _say_to_stderr(
        f"stack {stack}: {len(found)} pending operation(s). Unless an update is running now, "
        "a run that was killed or forced to stop left them. `make demo` clears them, or: "
        f"python -m providers.engine recover --stack {stack}  "
        f"(pulumi {' '.join(RESOLVE_PENDING)})"
    )
    return 1


def _report_locks(locks: list[StackLock], stack: str, *, fix: bool) -> int:
    """Print each lock; with ``fix``, remove the stale ones. 1 if any lock remains."""
    remaining = 0
    for lock in locks:
        if lock.stale and fix:
            remove_lock(lock)
            _say_to_stderr(
                f"stack {stack}: removed a stale lock: {lock.describe()} is gone, "
                "interrupted before it could release it"
            )
            continue
        remaining += 1
        status = {HOLDER_GONE: "stale", HOLDER_RUNNING: "held"}.get(lock.holder, "unknown")
        sys.stdout.write(f"lock {status:<7} {lock.path}  {lock.describe()}\n")
        cancel = f"python -m providers.engine pulumi cancel --yes --stack {stack}"
        if lock.stale:
            _say_to_stderr(
                f"stack {stack} is locked by {lock.describe()}, which is gone: the run was "
                "interrupted before it could release the lock. `make demo` removes it, or: "
                f"python -m providers.engine recover --stack {stack}"
            )
        elif lock.holder == HOLDER_RUNNING:
            _say_to_stderr(
                f"stack {stack} is locked by a running update, {lock.describe()}. Wait for "
                f"it, or cancel it: Ctrl-C in its terminal, or kill -INT {lock.pid}. Only if "
                f"nothing is running any more: {cancel}"
            )
        else:
            _say_to_stderr(
                f"stack {stack} is locked by {lock.describe()}, on another machine (or an "
                f"unreadable lock file). If that run is over: {cancel}"
            )
    if not locks and not fix:
        _say_to_stderr(f"stack {stack}: not locked")
    return 1 if remaining else 0


def _recover(exe: Path, stack: str, env: Mapping[str, str]) -> int:
    """Make the stack ready after an interrupted run: stale locks, then pending operations."""
    if _report_locks(_locks(stack, env), stack, fix=True):
        return 1
    found = pending_operations(exe, stack, env)
    if not found:
        return 0
    for op in found:
        sys.stdout.write(op.line() + "\n")
    _say_to_stderr(
        f"stack {stack}: clearing {len(found)} pending operation(s) left by an interrupted run: "
        f"pulumi {' '.join(RESOLVE_PENDING)}. Pending creates leave the state (the next "
        "update adopts or makes those endpoints); the refresh re-reads everything else."
    )
    outcome = supervise(
        [str(exe), *RESOLVE_PENDING, "--non-interactive", "--stack", stack], env=env
    )
    if outcome.exit_code != 0:
        return outcome.exit_code
    left = pending_operations(exe, stack, env)
    for op in left:
        sys.stdout.write(op.line() + "\n")
    return 1 if left else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``env`` prints shell exports; ``pulumi ARGS...`` runs the CLI with them; ``pending``,
    ``locks`` and ``recover`` inspect or repair a stack after an interrupted run."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["env"] and len(args) == 1:
            sys.stdout.write(format_exports(offline_env(REPO_ROOT)))
            return 0
        if args[:1] == ["pulumi"]:
            return run_pulumi(args[1:])
        if args[:1] in (["pending"], ["locks"], ["recover"]):
            return _inspect(args, REPO_ROOT)
    except ToolError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    sys.stderr.write(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main())
