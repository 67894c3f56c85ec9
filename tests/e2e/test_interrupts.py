"""Interrupts through the real engine: `python -m providers.engine pulumi up` against a
local plane whose updates take SETTLE seconds, so there is always something in flight.

- Ctrl-C (SIGINT to the wrapper) mid-update: Pulumi cancels cleanly; the wrapper exits
  130 after it; no process of the run is left; the stack is not locked; the plane sees
  no write after the exit; no pending operation remains.
- SIGKILL of Pulumi mid-create: the wrapper removes the lock and stops the plugins; the
  state holds pending creates, which `pending` lists and `recover` clears (with a stale
  lock planted on top); the next `up` converges.

The wrapper runs in a session of its own, so "no process left" is "nothing in that
session" (Pulumi's plugins run in process groups of their own, but the same session).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from plane_testing import RunningPlane, running_plane
from pulumi import automation as auto

from providers import engine

pytestmark = pytest.mark.e2e
REPO = engine.REPO_ROOT
STACK = "interrupts"
SETTLE = 5.0
FILES = ("support-chat", "internal-chat", "cohere-embeddings")


@dataclass
class Env:
    project: Path
    state: Path
    passphrase: Path
    plane: RunningPlane
    http: httpx.Client

    def environ(self) -> dict[str, str]:
        return {
            **os.environ,
            "PULUMI_BACKEND_URL": self.state.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE_FILE": str(self.passphrase),
        }

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """``python -m providers.engine ARGS`` in the project, in a session of its own."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(REPO / ".venv" / "bin" / "python"), "-m", "providers.engine", *args],
                cwd=self.project,
                env=self.environ(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(REPO / ".venv" / "bin" / "python"), "-m", "providers.engine", *args],
            cwd=self.project,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def up(self, log: Path) -> subprocess.Popen[bytes]:
        return self.start("pulumi", "up", "--yes", "--stack", STACK, "--non-interactive", log=log)

    def writes(self) -> int:
        return int(self.http.get("/__plane/stats").json()["writes"])

    def exists(self, name: str) -> bool:
        return self.http.get(f"/api/2.0/serving-endpoints/{name}").status_code == 200

    def locks(self) -> list[Path]:
        return sorted((self.state / ".pulumi" / "locks").glob("**/*.json"))

    def add_endpoint(self, name: str) -> None:
        data = yaml.safe_load((self.project / "endpoints" / "support-chat.yaml").read_text())
        data["name"] = name
        (self.project / "endpoints" / f"{name}.yaml").write_text(yaml.safe_dump(data))


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def session_left(sid: int) -> list[engine.ProcessInfo]:
    """Processes still running in the wrapper's session (zombies do not count)."""
    return [p for p in engine.processes() if p.sid == sid and p.state not in ("Z", "X")]


def assert_nothing_left(wrapper: subprocess.Popen[bytes]) -> None:
    wait_for(f"session {wrapper.pid} to empty", lambda: not session_left(wrapper.pid), 10)


def assert_no_more_writes(env: Env) -> None:
    before = env.writes()
    time.sleep(2.0)
    assert env.writes() == before


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if not sys.platform.startswith("linux"):
        pytest.skip("checks processes through /proc")
    tmp = tmp_path_factory.mktemp("interrupts")
    project = tmp / "project"
    (project / "endpoints").mkdir(parents=True)
    shutil.copy(REPO / "__main__.py", project / "__main__.py")
    settings = engine.project_settings()
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    for name in FILES:
        shutil.copy(REPO / "endpoints" / f"{name}.yaml", project / "endpoints")
    with running_plane(tmp, settle_seconds=SETTLE, pt_settle_seconds=SETTLE) as plane:
        opts = engine.workspace_options(
            project,
            pulumi_home=tmp / "home",
            backend_dir=tmp / "state",
            passphrase_file=tmp / "passphrase",
        )
        stack = auto.create_or_select_stack(stack_name=STACK, work_dir=str(project), opts=opts)
        stack.set_config("servingops:endpoints", auto.ConfigValue(str(project / "endpoints")))
        stack.set_config("servingops:host", auto.ConfigValue(plane.url))
        stack.set_config("servingops:token", auto.ConfigValue(plane.token, secret=True))
        with plane.client() as http:
            yield Env(project, tmp / "state", tmp / "passphrase", plane, http)
        stack.workspace.remove_stack(STACK, force=True)


def test_ctrl_c_mid_update_cancels_cleanly(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    wrapper = env.up(log)
    try:
        wait_for("a create to reach the plane", lambda: env.writes() > 0, 60)
        wrapper.send_signal(signal.SIGINT)
        rc = wrapper.wait(timeout=90)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    text = log.read_text()
    assert rc == 130, text
    assert "^C received; cancelling" in text and "received; terminating" not in text
    assert "engine: Pulumi cancelled cleanly" in text
    assert_nothing_left(wrapper)
    assert env.locks() == []
    assert_no_more_writes(env)

    pending = env.run("pending", "--stack", STACK)
    assert pending.returncode == 0 and pending.stdout == "", pending.stderr
    preview = env.run("pulumi", "preview", "--stack", STACK, "--non-interactive")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert env.run("locks", "--stack", STACK).returncode == 0


def test_pulumi_killed_mid_create_leaves_pending_creates_that_recover_clears(
    env: Env, tmp_path: Path
) -> None:
    env.add_endpoint("killed-chat")
    log = tmp_path / "up.log"
    wrapper = env.up(log)
    try:
        wait_for("the create of killed-chat", lambda: env.exists("killed-chat"), 60)
        pulumi = [p.pid for p in engine.processes() if p.ppid == wrapper.pid]
        assert len(pulumi) == 1
        os.kill(pulumi[0], signal.SIGKILL)
        rc = wrapper.wait(timeout=30)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    text = log.read_text()
    assert rc == 128 + signal.SIGKILL, text
    assert f"engine: removed the lock Pulumi (pid {pulumi[0]}) left" in text
    assert "engine: stopped plugin processes Pulumi left behind" in text
    assert "python -m providers.engine recover --stack interrupts" in text
    assert_nothing_left(wrapper)
    assert env.locks() == []
    assert_no_more_writes(env)

    pending = env.run("pending", "--stack", STACK)
    assert pending.returncode == 1, pending.stderr
    assert (
        "pending creating  urn:pulumi:interrupts::servingops::"
        "pulumi-python:dynamic/serving:ServingEndpoint::killed-chat\n"
    ) in pending.stdout
    assert "recover --stack interrupts" in pending.stderr

    # and a lock whose holder is gone (as a Pulumi killed outside the wrapper leaves)
    stale = env.state / ".pulumi" / "locks" / "organization" / "servingops" / STACK / "x.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale.write_text(
        f'{{"pid": {dead.pid}, "username": "u", "hostname": "{socket.gethostname()}",'
        ' "timestamp": "2026-01-01T00:00:00.000000001Z"}'
    )
    assert env.run("locks", "--stack", STACK).returncode == 1

    recover = env.run("recover", "--stack", STACK)
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert "removed a stale lock" in recover.stderr
    assert "pending operation(s) left by an interrupted run" in recover.stderr
    assert env.run("pending", "--stack", STACK).returncode == 0
    assert env.locks() == []

    converge = env.run("pulumi", "up", "--yes", "--stack", STACK, "--non-interactive")
    assert converge.returncode == 0, converge.stdout + converge.stderr
    check = env.run(
        "pulumi",
        "preview",
        "--refresh",
        "--expect-no-changes",
        "--stack",
        STACK,
        "--non-interactive",
    )
    assert check.returncode == 0, check.stdout + check.stderr
