"""Running the real Pulumi engine for the bench: projects, the plane, measured commands.

``Project.ours(...)`` is this repo's program and provider (its ``Pulumi.yaml`` plugins
included); ``Project.floor(...)`` a no-op dynamic resource per file
(``bench/floor_project``). ``Project.run`` runs one ``pulumi`` command and returns a
``Run``: wall seconds, CPU seconds of every process the engine started (``getrusage``
of reaped children), and from ``/proc`` samples the CPU and peak RSS per process kind
(the profile RESULTS.md shows). ``plane_process`` starts ``python -m plane`` on 127.0.0.1
as a separate process (its CPU is the workspace's, not counted).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from providers import engine

REPO = engine.REPO_ROOT
VENV = REPO / ".venv"
FLOOR = Path(__file__).resolve().parent / "floor_project"
TOKEN = "bench-token-0123456789"
SAMPLE_SECONDS = 0.25
KINDS = ("pulumi", "language host", "program", "provider", "other")


def process_kind(cmdline: str) -> str:
    """Which part of a Pulumi run a process is, from its command line."""
    if "providers.server" in cmdline or "pulumi.dynamic" in cmdline:
        return "provider"
    if "pulumi-language-python-exec" in cmdline:
        return "program"
    if "pulumi-language-python" in cmdline:
        return "language host"
    if cmdline.split(" ", 1)[0].endswith("/pulumi"):
        return "pulumi"
    return "other"


@dataclass
class Run:
    """One measured command."""

    wall_s: float
    cpu_s: float
    cpu_by_kind: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    api: dict[str, int] = field(default_factory=dict)
    """Plane requests during the command: ``{"METHOD /template": n}``."""


class _Sampler:
    """Samples /proc every SAMPLE_SECONDS for the descendants of one pid."""

    def __init__(self, root: int, profile_dir: Path | None = None) -> None:
        self.root = root
        self.profile_dir = profile_dir
        self.spies: dict[int, subprocess.Popen[bytes]] = {}
        self.seen: dict[int, tuple[str, float, float]] = {}  # pid -> kind, cpu s, hwm MB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for spy in self.spies.values():
            try:
                spy.wait(timeout=30)  # py-spy ends with its process and writes its file
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()

    def _spy(self, pid: int, kind: str) -> None:
        """Profile a program or provider process with py-spy (collapsed stacks, 100 Hz)."""
        if self.profile_dir is None or pid in self.spies or kind not in ("program", "provider"):
            return
        out = self.profile_dir / f"{kind}-{pid}.txt"
        cmd = [str(VENV / "bin" / "py-spy"), "record", "--pid", str(pid), "--rate", "100",
               "--format", "raw", "--output", str(out), "--nonblocking",
               "--full-filenames"]  # fmt: skip
        self.spies[pid] = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        parents: dict[int, int] = {}
        for info in engine.processes():
            parents[info.pid] = info.ppid
        for pid in parents:
            if self._descends(pid, parents):
                self._read(pid)

    def _descends(self, pid: int, parents: dict[int, int]) -> bool:
        for _ in range(20):
            if pid == self.root:
                return True
            pid = parents.get(pid, 0)
            if pid <= 1:
                return False
        return False

    def _read(self, pid: int) -> None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            status = Path(f"/proc/{pid}/status").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / self._tick
        hwm = next(
            (int(x.split()[1]) / 1024 for x in status.splitlines() if x.startswith("VmHWM")), 0.0
        )
        known = self.seen.get(pid)
        # an exited process (zombie) has an empty cmdline: keep what it was
        kind = known[0] if known and not cmd.strip() else process_kind(cmd)
        self.seen[pid] = (kind, cpu, max(hwm, known[2] if known else 0.0))
        self._spy(pid, kind)

    def by_kind(self) -> tuple[dict[str, float], dict[str, float]]:
        cpu: dict[str, float] = {}
        rss: dict[str, float] = {}
        for kind, seconds, hwm in self.seen.values():
            cpu[kind] = cpu.get(kind, 0.0) + seconds
            rss[kind] = max(rss.get(kind, 0.0), hwm)
        return cpu, rss


@dataclass
class Plane:
    url: str
    http: httpx.Client

    def reset_stats(self) -> None:
        self.http.delete("/__plane/stats").raise_for_status()

    def stats(self) -> dict[str, int]:
        return dict(self.http.get("/__plane/stats").json()["requests"])


@contextmanager
def plane_process(tmp: Path, settle_seconds: float) -> Iterator[Plane]:
    """``python -m plane`` on a free 127.0.0.1 port; stopped on exit."""
    db = tmp / f"plane-{settle_seconds}.sqlite"
    settle = str(settle_seconds)
    cmd = [sys.executable, "-m", "plane", "--port", "0", "--db", str(db),
           "--settle-seconds", settle, "--pt-settle-seconds", settle]  # fmt: skip
    env = {**os.environ, "SERVINGOPS_PLANE_TOKEN": TOKEN}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("DATABRICKS_HOST=")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    http.get("/__plane/health").raise_for_status()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the plane did not start within 20 s") from None
                    time.sleep(0.1)
            yield Plane(url, http)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass
class Project:
    """A Pulumi project folder with an endpoints folder and its own backend."""

    dir: Path
    kind: str
    env: dict[str, str]

    @classmethod
    def make(cls, root: Path, kind: str, endpoints: Path, extra_env: dict[str, str]) -> Project:
        project = root / f"project-{kind}"
        if project.exists():
            shutil.rmtree(project)
        if kind == "floor":
            shutil.copytree(FLOOR, project, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            project.mkdir(parents=True)
            shutil.copy(REPO / "__main__.py", project / "__main__.py")
        if kind == "floor":
            settings = yaml.safe_load((FLOOR / "Pulumi.yaml").read_text())
            settings["runtime"]["options"]["virtualenv"] = str(VENV)
        else:
            settings = engine.project_settings()
        (project / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
        exe = engine.find_pulumi()
        env = {
            **os.environ,
            **engine.offline_env(
                REPO,
                pulumi_home=root / "home",
                backend_dir=root / f"state-{kind}",
                passphrase_file=root / "passphrase",
                pulumi=exe,
            ),
            "SERVINGOPS_VALIDATION_CACHE": str(root / f"validated-{kind}"),
            **extra_env,
        }
        proj = cls(project, kind, env)
        proj.endpoints = endpoints
        return proj

    endpoints: Path = Path()

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        exe = str(engine.find_pulumi())
        proc = subprocess.run(
            [exe, *args, "--non-interactive"], cwd=self.dir, env=self.env,
            capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        if check and proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-3000:]
            raise RuntimeError(f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{tail}")
        return proc

    def new_stack(self, name: str, plane: Plane | None) -> None:
        self.pulumi("stack", "init", name)
        self.pulumi("config", "set", "servingops:endpoints", str(self.endpoints), "--stack", name)
        if plane is not None:
            self.pulumi("config", "set", "servingops:host", plane.url, "--stack", name)
            self.pulumi("config", "set", "--secret", "servingops:token", TOKEN, "--stack", name)

    def remove_stack(self, name: str) -> None:
        self.pulumi("stack", "rm", "--yes", "--force", "--stack", name, check=False)

    def run(
        self, args: list[str], stack: str, plane: Plane | None, profile_dir: Path | None = None
    ) -> Run:
        """Run ``pulumi ARGS --stack STACK`` and measure it; with ``profile_dir``, py-spy
        records the program and provider processes there (a slower, separate run)."""
        if plane is not None:
            plane.reset_stats()
        exe = str(engine.find_pulumi())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [exe, *args, "--stack", stack, "--non-interactive"], cwd=self.dir, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        with _Sampler(proc.pid, profile_dir) as sampler:
            out, _ = proc.communicate(timeout=3600)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise RuntimeError(
                f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]}"
            )
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        by_kind, rss = sampler.by_kind()
        api = plane.stats() if plane is not None else {}
        return Run(wall, cpu, by_kind, rss, api)


def write_endpoints(folder: Path, n: int) -> None:
    """``n`` endpoint files like ``endpoints/internal-chat.yaml`` (no smoke: no model to ask)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    base = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    base.pop("smoke", None)
    for i in range(n):
        name = f"bench-{i:04d}"
        (folder / f"{name}.yaml").write_text(
            yaml.safe_dump({**base, "name": name}, sort_keys=False)
        )


OURS = ("servingops", "providers", "servingcatalogue", "plane")


def _is_ours(frame: str) -> bool:
    """A frame of our code (not the server entry, which only wraps the SDK's server)."""
    return package_of(frame) in OURS and "/providers/server.py" not in frame


def _function(frame: str) -> str:
    """``module.function`` of a frame ``function (/path/pkg/module.py:line)``."""
    name = frame[: frame.rfind("(")].strip()
    path = frame[frame.rfind("(") + 1 :].split(":", 1)[0]
    return f"{path.rsplit('/', 1)[-1].removesuffix('.py')}.{name}"


def package_of(frame: str) -> str:
    """The package a py-spy frame ``function (path:line)`` belongs to."""
    path = frame[frame.rfind("(") + 1 :].split(":", 1)[0]
    if path.startswith("<frozen importlib"):
        return "imports (importlib)"
    if "pulumi-language-python-exec" in path:
        return "pulumi"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for ours in OURS:
        if f"/{ours}/" in path:
            return ours
    if "pulumi-language-python-exec" in path:
        return "pulumi"
    name = path.rsplit("/", 1)[-1].removesuffix(".py")
    return f"stdlib {name}" if "/lib/python3" in path else name or "?"


def profile_table(folder: Path, kind: str, top: int = 12) -> list[str]:
    """Samples by package: inclusive (the package is on the stack) and self (it is the
    innermost frame), as shares of the samples of every ``kind`` process in ``folder``."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    mine: dict[str, int] = {}
    total = 0
    for path in folder.glob(f"{kind}-*.txt"):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [f for f in stack.split(";") if "(" in f]
            if not frames:
                continue
            total += n
            for package in {package_of(f) for f in frames}:
                inclusive[package] = inclusive.get(package, 0) + n
            leaf = package_of(frames[-1])
            own[leaf] = own.get(leaf, 0) + n
            for name in {_function(f) for f in frames if _is_ours(f)}:
                mine[name] = mine.get(name, 0) + n
    if not total:
        return [f"(no {kind} samples)"]
    rows = [f"| package ({kind}) | inclusive | self |", "|---|---|---|"]
    for package, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        share = 100 * own.get(package, 0) / total
        rows.append(f"| {package} | {100 * n / total:.0f} % | {share:.0f} % |")
    ours = sorted(mine.items(), key=lambda kv: -kv[1])[:8]
    listed = "; ".join(f"`{name}` {100 * n / total:.0f} %" for name, n in ours)
    rows += ["", f"Our functions ({kind}), inclusive: {listed}"]
    return [*rows, "", f"({total} samples at 100 Hz)"]
