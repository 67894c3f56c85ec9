"""The engine wrapper's interrupt handling, with a tiny Python child standing in for Pulumi.

The child behaves like Pulumi's CLI: the first SIGINT starts a clean cancel that takes
CANCEL seconds, a second one stops it at once (exit 3). Each test runs the wrapper as its
own process (``supervise`` makes its process a subreaper and blocks signals, which the
pytest process must not do), waits in bounded loops, and kills whatever it started
(by pid) in teardown.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import socket
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from providers import engine

REPO = engine.REPO_ROOT
LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG / subreaper are Linux")

# argv: LOG CANCEL_SECONDS [plugin]. Logs "start PID PGID", each signal, "done" / "forced".
CHILD = r"""
import os, signal, subprocess, sys, time
log = open(sys.argv[1], "a", buffering=1)
cancel = float(sys.argv[2])
got = []
def on_signal(sig, _frame):
    got.append(sig)
    log.write(f"{signal.Signals(sig).name} {len(got)}\n")
    if len(got) >= 2:
        log.write("forced\n")
        os._exit(3)
signal.signal(signal.SIGINT, on_signal)
signal.signal(signal.SIGTERM, on_signal)
log.write(f"start {os.getpid()} {os.getpgrp()}\n")
if sys.argv[3:4] == ["plugin"]:  # leave a plugin behind, in its own group, then die hard
    plugin = subprocess.Popen(
        [sys.executable, "-c", sys.argv[4], sys.argv[1]], process_group=0
    )
    log.write(f"plugin {plugin.pid}\n")
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if got:
        time.sleep(cancel)
        log.write("done\n")
        sys.exit(0)
    time.sleep(0.02)
log.write("timeout\n")
sys.exit(9)
"""

# A plugin that exits on SIGINT (argv: LOG); PLUGIN_STUBBORN ignores it.
PLUGIN = r"""
import signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
def on_int(*_):
    log.write("plugin got SIGINT\n")
    sys.exit(0)
signal.signal(signal.SIGINT, on_int)
time.sleep(60)
"""
PLUGIN_STUBBORN = r"""
import signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
time.sleep(60)
"""

# The wrapper under test: supervise() around the child; prints the outcome as JSON.
DRIVER = r"""
import json, sys
from providers import engine
engine.ORPHAN_GRACE_SECONDS = float(sys.argv[1])
outcome = engine.supervise(sys.argv[2:])
print(json.dumps({"returncode": outcome.returncode, "orphans": outcome.orphans,
                  "delivered": outcome.delivered, "interrupts": outcome.interrupts}))
sys.exit(outcome.exit_code)
"""


def wait_for(what: str, check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as gone)."""
    info = engine.process_info(pid) if LINUX else None
    if LINUX:
        return info is None or info.state in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@dataclass
class Run:
    """A wrapper around the test child, and what the child wrote."""

    proc: subprocess.Popen[str]
    log: Path
    started: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def signals(self) -> list[str]:
        return [line.split()[0] for line in self.lines() if line.startswith("SIG")]

    def child(self) -> tuple[int, int]:
        """The child's (pid, pgid), once it has started."""
        wait_for("the child to start", lambda: any(x.startswith("start ") for x in self.lines()))
        line = next(x for x in self.lines() if x.startswith("start "))
        pid, pgid = (int(v) for v in line.split()[1:])
        self.started.append(pid)
        return pid, pgid

    def plugin(self) -> int:
        wait_for("the plugin to start", lambda: any(x.startswith("plugin ") for x in self.lines()))
        pid = int(next(x for x in self.lines() if x.startswith("plugin ")).split()[1])
        self.started.append(pid)
        return pid

    def finish(self, timeout: float = 15.0) -> tuple[int, dict[str, Any], str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, json.loads(out or "{}"), err

    def alive_after(self, seconds: float) -> bool:
        time.sleep(seconds)
        return self.proc.poll() is None


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Start wrappers; in teardown, SIGKILL (by pid) any of ours still running."""
    started: list[Run] = []
    child = tmp_path / "child.py"
    child.write_text(CHILD)

    def start(
        cancel: float = 1.0,
        *extra: str,
        grace: float = 5.0,
        **popen: Any,
    ) -> Run:
        log = tmp_path / f"child{len(started)}.log"
        argv = [sys.executable, "-c", DRIVER, str(grace)]
        argv += [sys.executable, str(child), str(log), str(cancel), *extra]
        popen.setdefault("start_new_session", True)  # no controlling terminal: own group
        proc = subprocess.Popen(
            argv, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
        )
        run = Run(proc, log)
        started.append(run)
        return run

    yield start
    for run in started:
        for pid in [run.proc.pid, *run.started]:
            if not gone(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if run.proc.poll() is None:
            run.proc.wait(timeout=5)
        for stream in (run.proc.stdout, run.proc.stderr):
            if stream is not None:
                stream.close()


# --- forwarding ----------------------------------------------------------------------------


def test_sigint_is_forwarded_once_and_the_wrapper_waits_for_the_clean_cancel(
    runs: Callable[..., Run],
) -> None:
    run = runs(1.5)
    pid, pgid = run.child()
    assert pgid == pid != os.getpgid(run.proc.pid)  # no terminal: the child has its own group
    run.proc.send_signal(signal.SIGINT)
    assert run.alive_after(0.5), "the wrapper must wait while the child cancels"
    rc, outcome, err = run.finish()
    assert rc == 130
    assert run.signals() == ["SIGINT"] and run.lines()[-1] == "done"
    assert outcome["returncode"] == 0 and outcome["delivered"] == 1
    assert "asked Pulumi to cancel (SIGINT)" in err


def test_a_second_interrupt_forces_the_child(runs: Callable[..., Run]) -> None:
    run = runs(30)
    run.child()
    run.proc.send_signal(signal.SIGINT)
    wait_for("the first SIGINT", lambda: run.signals() == ["SIGINT"])
    assert run.alive_after(0.3)
    run.proc.send_signal(signal.SIGINT)
    rc, outcome, err = run.finish(timeout=5)
    assert rc == 130 and outcome["returncode"] == 3 and outcome["delivered"] == 2
    assert run.signals() == ["SIGINT", "SIGINT"] and "forced" in run.lines()
    assert "stop at once (second SIGINT)" in err


def test_sigterm_is_forwarded_as_sigint(runs: Callable[..., Run]) -> None:
    run = runs(0.5)
    run.child()
    run.proc.send_signal(signal.SIGTERM)
    rc, outcome, err = run.finish()
    assert rc == 143
    assert run.signals() == ["SIGINT"] and run.lines()[-1] == "done"
    assert "SIGTERM received" in err


def test_a_hangup_cancels_once_and_the_child_ignores_sighup_itself(
    runs: Callable[..., Run],
) -> None:
    run = runs(1.0)
    pid, _ = run.child()
    os.kill(pid, signal.SIGHUP)  # a closed terminal must not kill Pulumi outright
    assert not gone(pid)
    run.proc.send_signal(signal.SIGHUP)
    wait_for("the cancel", lambda: run.signals() == ["SIGINT"])
    run.proc.send_signal(signal.SIGHUP)  # the shell's SIGHUP after the terminal's: one hangup
    rc, _outcome, _err = run.finish()
    assert rc == 129 and run.signals() == ["SIGINT"] and run.lines()[-1] == "done"


def test_exit_status_passes_through_when_not_interrupted(runs: Callable[..., Run]) -> None:
    run = runs(0.2)
    pid, _ = run.child()
    os.kill(pid, signal.SIGINT)  # straight to the child: it cancels and exits 0
    rc, outcome, _err = run.finish()
    assert rc == 0 and outcome["interrupts"] == []


# --- the terminal -------------------------------------------------------------------------


def test_ctrl_c_in_a_terminal_reaches_the_child_once_per_key(
    runs: Callable[..., Run],
) -> None:
    """In the terminal's foreground group the child shares our group: the terminal's SIGINT
    reaches it directly, and the wrapper must not send a second one (that would force)."""
    master, slave = pty.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        run = runs(30, stdin=slave, start_new_session=False, preexec_fn=controlling_terminal)
        os.close(slave)
        pid, pgid = run.child()
        assert pgid == os.getpgid(run.proc.pid) != pid  # same group as the wrapper
        os.write(master, b"\x03")
        wait_for("the first SIGINT", lambda: run.signals() == ["SIGINT"])
        assert run.alive_after(0.5), "one Ctrl-C is a clean cancel, not a forced stop"
        assert run.signals() == ["SIGINT"]
        os.write(master, b"\x03")
        rc, outcome, err = run.finish(timeout=5)
    finally:
        os.close(master)
    assert rc == 130 and run.signals() == ["SIGINT", "SIGINT"] and "forced" in run.lines()
    assert outcome["delivered"] == 2
    # the wrapper forwarded nothing (two SIGINTs at once could merge into one, so the
    # child's count alone would not show a second delivery)
    assert "asked Pulumi to cancel" not in err and "second SIGINT" not in err


# --- the wrapper dies, or the child leaves plugins behind -----------------------------------


@linux_only
def test_the_child_gets_sigint_when_the_wrapper_dies(runs: Callable[..., Run]) -> None:
    run = runs(0.3)
    pid, _ = run.child()
    run.proc.kill()
    run.proc.wait(timeout=5)
    wait_for("the orphaned child to cancel", lambda: "done" in run.lines())
    assert run.signals() == ["SIGINT"]
    wait_for("the child to exit", lambda: gone(pid))


@linux_only
@pytest.mark.parametrize(("plugin", "grace"), [(PLUGIN, 5.0), (PLUGIN_STUBBORN, 0.5)])
def test_plugins_left_behind_are_stopped(
    runs: Callable[..., Run], plugin: str, grace: float
) -> None:
    run = runs(0.1, "plugin", plugin, grace=grace)
    run.child()
    orphan = run.plugin()
    rc, outcome, _err = run.finish()
    assert rc == 128 + signal.SIGKILL and outcome["returncode"] == -signal.SIGKILL
    assert outcome["orphans"] == [orphan]
    assert gone(orphan)
    if plugin == PLUGIN:
        assert "plugin got SIGINT" in run.lines()  # asked first, politely


# --- Outcome, arguments ----------------------------------------------------------------------


def test_outcome_exit_codes() -> None:
    assert engine.Outcome(1, 4).exit_code == 4
    assert engine.Outcome(1, -9).exit_code == 137 and engine.Outcome(1, -9).cut_short
    assert engine.Outcome(1, 1, interrupts=[15], delivered=1).exit_code == 143
    assert not engine.Outcome(1, 1, interrupts=[2], delivered=1).cut_short
    assert engine.Outcome(1, 3, interrupts=[2, 2], delivered=2).cut_short


def test_stack_is_read_from_pulumi_arguments() -> None:
    assert engine._stack_of(["up", "--stack", "dev", "--yes"]) == "dev"
    assert engine._stack_of(["up", "-s", "dev"]) == "dev"
    assert engine._stack_of(["up", "--stack=org/p/dev"]) == "org/p/dev"
    assert engine._stack_of(["up", "--yes"]) is None


# --- stack locks -----------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _write_lock(backend: Path, stack: str, name: str, **content: Any) -> Path:
    folder = backend / ".pulumi" / "locks" / "organization" / "servingops" / stack
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(content))
    (folder / f"{name}.json.attrs").write_text("{}")
    return path


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")  # Go's nanoseconds


def test_locks_are_classified_by_holder_and_only_stale_ones_are_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = socket.gethostname()
    me = {"username": "me", "hostname": host, "timestamp": _now()}
    dead = _write_lock(tmp_path, "dev", "a", pid=_dead_pid(), **me)
    live = _write_lock(tmp_path, "dev", "b", pid=os.getpid(), **me)
    far = _write_lock(tmp_path, "dev", "c", pid=1, **{**me, "hostname": "elsewhere.example"})
    _write_lock(tmp_path, "prod", "d", pid=_dead_pid(), **me)  # another stack: not listed
    locks = {lock.path: lock for lock in engine.stack_locks(tmp_path, "dev", "servingops")}
    assert sorted(locks) == [dead, live, far]
    assert locks[dead].holder == engine.HOLDER_GONE and locks[dead].stale
    assert locks[live].holder == engine.HOLDER_RUNNING
    assert locks[far].holder == engine.HOLDER_ELSEWHERE
    assert engine.stack_locks(tmp_path, "organization/servingops/dev", None) == list(locks.values())

    assert engine._report_locks(list(locks.values()), "dev", fix=True) == 1  # two remain
    assert not dead.exists() and not dead.with_name("a.json.attrs").exists()
    assert live.exists() and far.exists()
    err = capsys.readouterr().err
    assert "removed a stale lock" in err
    assert f"locked by a running update, pulumi pid {os.getpid()}" in err
    assert "another machine" in err and "pulumi cancel --yes --stack dev" in err


def test_a_reused_pid_does_not_keep_a_lock_alive(tmp_path: Path) -> None:
    old = "2001-01-01T00:00:00.123456789Z"  # long before this process started
    path = _write_lock(
        tmp_path,
        "dev",
        "x",
        pid=os.getpid(),
        username="u",
        hostname=socket.gethostname(),
        timestamp=old,
    )
    expected = engine.HOLDER_GONE if LINUX else engine.HOLDER_RUNNING
    assert engine.read_lock(path).holder == expected


def test_unreadable_lock_is_never_taken_for_stale(tmp_path: Path) -> None:
    path = _write_lock(tmp_path, "dev", "x")
    path.write_text("{not json")
    assert engine.read_lock(path).holder == engine.HOLDER_ELSEWHERE


def test_locks_held_by_a_pid(tmp_path: Path) -> None:
    host = socket.gethostname()
    mine = _write_lock(
        tmp_path, "dev", "a", pid=4242, username="u", hostname=host, timestamp=_now()
    )
    _write_lock(tmp_path, "dev", "b", pid=4243, username="u", hostname=host, timestamp=_now())
    assert [lock.path for lock in engine.locks_held_by(tmp_path, 4242)] == [mine]


def test_backend_dir_only_for_file_urls(tmp_path: Path) -> None:
    assert engine.backend_dir({"PULUMI_BACKEND_URL": tmp_path.as_uri()}) == tmp_path
    home = Path("~").expanduser()
    assert engine.backend_dir({"PULUMI_BACKEND_URL": "file://~/state"}) == home / "state"
    assert engine.backend_dir({"PULUMI_BACKEND_URL": "s3://bucket"}) is None
    assert engine.backend_dir({}) is None


# --- pending operations ----------------------------------------------------------------------


def test_pending_operations_are_read_from_a_stack_export() -> None:
    urn = "urn:pulumi:dev::servingops::pulumi-python:dynamic/serving:ServingEndpoint::chat"
    export = {
        "version": 3,
        "deployment": {
            "resources": [],
            "pending_operations": [
                {"resource": {"urn": urn, "type": "x"}, "type": "creating"},
                {"resource": {"urn": urn + "2"}, "type": "updating"},
            ],
        },
    }
    found = engine.parse_pending(export)
    assert [(op.kind, op.urn) for op in found] == [("creating", urn), ("updating", urn + "2")]
    assert found[0].line() == f"pending creating  {urn}"
    assert engine.parse_pending({"deployment": {"resources": []}}) == []
    assert engine.parse_pending({"version": 3}) == []


def test_inspect_commands_reject_bad_arguments() -> None:
    with pytest.raises(SystemExit) as err:
        engine.main(["pending", "--bogus"])
    assert err.value.code == 2
