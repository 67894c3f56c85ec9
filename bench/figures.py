"""The figures of ``make bench``: one function each, registered with ``@figure``.

To add one: write ``@figure("Title") def my_figure(bench: Bench) -> Section`` here (or in
a module imported by ``bench.__main__``), use ``bench.tmp`` for files and
``bench.reps`` for the number of interleaved runs, and return the lines and targets.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_validate import TEMPLATE
from bench.engine_runs import (
    KINDS,
    Project,
    Run,
    plane_process,
    profile_table,
    write_endpoints,
)
from bench.report import Section, Target, figure, med, ratio, spread

OPS: list[tuple[str, list[str]]] = [
    ("preview", ["preview"]),
    ("up", ["up", "--yes"]),
    ("no-op up", ["up", "--yes"]),
    ("preview --refresh", ["preview", "--refresh"]),
    ("destroy", ["destroy", "--yes"]),
]
"""The operations in the order a stack goes through them (create, no-op, refresh, delete)."""
RATIO_TARGET = 1.15
SETTLE_S = 10.0
SETTLE_N = 40
SETTLE_RUNS = 1
"""One run: each takes a minute of a 2-core machine for a figure whose margin is wide."""
VALIDATE_FILES = 1000


@dataclass
class Bench:
    """What every figure gets: a scratch folder, sizes and repetitions."""

    tmp: Path
    sizes: list[int]
    reps: dict[int, int]
    """Interleaved runs per size."""
    quick: bool = False
    shared: dict[str, Any] = field(default_factory=dict)
    """Results one figure leaves for another (the engine runs feed API economy and RSS)."""


def _ops_once(project: Project, stack: str, plane: Any) -> dict[str, Run]:
    """The five operations on a new stack, as a fresh CI checkout runs them: the
    validation cache (``providers.validated``) starts empty."""
    shutil.rmtree(project.env["SERVINGOPS_VALIDATION_CACHE"], ignore_errors=True)
    project.new_stack(stack, plane)
    try:
        return {op: project.run(args, stack, plane) for op, args in OPS}
    finally:
        project.remove_stack(stack)


@figure("Engine floor: ours against a no-op dynamic resource")
def engine_floor(bench: Bench) -> Section:
    """Each size: for each rep, the floor then ours (interleaved), the five operations."""
    runs: dict[tuple[str, int], list[dict[str, Run]]] = {}
    with plane_process(bench.tmp, 0) as plane:
        for n in bench.sizes:
            folder = bench.tmp / f"endpoints-{n}"
            write_endpoints(folder, n)
            projects = {
                kind: Project.make(bench.tmp / f"n{n}", kind, folder, {})
                for kind in ("floor", "ours")
            }
            for rep in range(bench.reps[n]):
                for kind, project in projects.items():
                    stack = f"{kind}-{n}-{rep}"
                    got = _ops_once(project, stack, plane if kind == "ours" else None)
                    runs.setdefault((kind, n), []).append(got)
                    walls = ", ".join(f"{op} {r.wall_s:.1f}s" for op, r in got.items())
                    print(f"  N={n} rep {rep + 1} {kind}: {walls}", flush=True)
    bench.shared["engine_runs"] = runs
    return _floor_section(bench, runs)


def _floor_section(bench: Bench, runs: dict[tuple[str, int], list[dict[str, Run]]]) -> Section:
    section = Section("Engine floor: ours against a no-op dynamic resource")
    section.lines += [
        "Same N, same input (each endpoint file's mapping), the same offline engine; the "
        "floor is `bench/floor_project` (a dynamic provider whose methods return at once, "
        "served by Pulumi's own `python -m pulumi.dynamic`). CPU is every process the "
        "engine starts (getrusage of reaped children); wall is the command. Each cell: "
        "median (min–max) of the interleaved runs; ratio = ours / floor of the medians.",
        "",
        "![wall time vs N, ours and the floor](engine-floor.png)",
        "",
        "| N | operation | floor CPU | ours CPU | CPU ratio | floor wall | ours wall "
        "| wall ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    series: dict[str, dict[str, list[tuple[int, float]]]] = {op: {} for op, _ in OPS}
    largest = max(bench.sizes)
    for n in bench.sizes:
        floor, ours = runs[("floor", n)], runs[("ours", n)]
        for op, _ in OPS:
            fc, oc = [r[op].cpu_s for r in floor], [r[op].cpu_s for r in ours]
            fw, ow = [r[op].wall_s for r in floor], [r[op].wall_s for r in ours]
            section.lines.append(
                f"| {n} | {op} | {spread(fc)} | {spread(oc)} | {ratio(oc, fc):.2f} | "
                f"{spread(fw)} | {spread(ow)} | {ratio(ow, fw):.2f} |"
            )
            series[op].setdefault("floor", []).append((n, med(fw)))
            series[op].setdefault("ours", []).append((n, med(ow)))
            if n == largest:
                worst = max(ratio(oc, fc), ratio(ow, fw))
                section.targets.append(
                    Target(
                        f"{op} at N={n}: ours/floor ≤ {RATIO_TARGET} (CPU and wall)",
                        f"CPU {ratio(oc, fc):.2f}, wall {ratio(ow, fw):.2f}",
                        worst <= RATIO_TARGET,
                    )
                )
    section.plot = series
    section.lines += ["", *_profile(runs, largest)]
    return section


def _profile(runs: dict[tuple[str, int], list[dict[str, Run]]], n: int) -> list[str]:
    """CPU seconds per process kind at the largest N (sampled from /proc): where it goes."""
    lines = [
        f"Profile at N={n}: CPU seconds by process (median over runs, sampled from /proc "
        "every 0.25 s, so short-lived processes are undercounted; the totals above are exact).",
        "",
        "| operation | variant | " + " | ".join(KINDS) + " |",
        "|---|---|" + "---|" * len(KINDS),
    ]
    for op, _ in OPS:
        for kind in ("floor", "ours"):
            cells = [med([r[op].cpu_by_kind.get(k, 0.0) for r in runs[(kind, n)]]) for k in KINDS]
            lines.append(f"| {op} | {kind} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    return lines


PROFILED = ("up", "no-op up", "preview --refresh")
PROFILE_N = 100
"""The size profiled (a py-spy run at 300 would not fit the 30 minutes on 2 cores)."""


@figure("Where ours spends its CPU (py-spy)")
def profile(bench: Bench) -> Section:
    """One separate stack at the largest N, its program and provider under py-spy."""
    n = PROFILE_N if PROFILE_N in bench.sizes else max(bench.sizes)
    section = Section("Where ours spends its CPU (py-spy)")
    section.lines += [
        f"A separate run of ours at N={n} (not timed: py-spy slows it): the program and "
        "provider processes sampled at 100 Hz (active threads only). A package's "
        "*inclusive* share is the samples with it anywhere on the stack; *self* is the "
        "samples where it is the innermost frame. `pulumi`, `grpc`, `dill`, `google` "
        "(protobuf) are the engine floor's own work; `servingops`/`providers` ours.",
        "",
    ]
    with plane_process(bench.tmp, 0) as plane:
        folder = bench.tmp / f"endpoints-{n}"
        write_endpoints(folder, n)
        project = Project.make(bench.tmp / "profile", "ours", folder, {})
        stack = "profiled"
        project.new_stack(stack, plane)
        try:
            for op, args in OPS:
                target = bench.tmp / "profile" / op.replace(" ", "-")
                target.mkdir(parents=True, exist_ok=True)
                project.run(args, stack, plane, target if op in PROFILED else None)
                if op in PROFILED:
                    section.lines += [f"### {op}", ""]
                    for kind in ("provider", "program"):
                        section.lines += [*profile_table(target, kind), ""]
        finally:
            project.remove_stack(stack)
    return section


@figure("API economy, counted at the plane")
def api_economy(bench: Bench) -> Section:
    """From the engine runs of ours: requests per endpoint per operation."""
    section = Section("API economy, counted at the plane")
    runs = bench.shared.get("engine_runs")
    if not runs:
        section.lines.append("(needs the engine floor figure)")
        return section
    n = max(bench.sizes)
    ours = runs[("ours", n)]
    section.lines += [
        f"Requests the plane served during each operation of ours at N={n} (median over "
        "runs), per endpoint. A write is POST/PUT/PATCH/DELETE under /api/; `GET endpoint` "
        "is `GET /api/2.0/serving-endpoints/{name}`; `list` is the workspace binding's "
        "identity check (one list call per engine phase, not per endpoint).",
        "",
        "| operation | writes / endpoint | GET endpoint / endpoint | list calls | other |",
        "|---|---|---|---|---|",
    ]
    per_op: dict[str, tuple[float, float]] = {}
    for op, _ in OPS:
        writes = med([_writes(r[op].api) for r in ours]) / n
        gets = med([_count(r[op].api, "GET /api/2.0/serving-endpoints/{name}") for r in ours]) / n
        lists = med([_count(r[op].api, "GET /api/2.0/serving-endpoints") for r in ours])
        other = med([_other(r[op].api) for r in ours])
        per_op[op] = (writes, gets)
        section.lines.append(f"| {op} | {writes:.2f} | {gets:.2f} | {lists:.0f} | {other:.0f} |")
    noop_w, noop_g = per_op["no-op up"]
    section.targets.append(
        Target(
            "no-op up: 0 writes, ≤ 1 GET per endpoint",
            f"{noop_w:.2f} writes, {noop_g:.2f} GET per endpoint",
            noop_w == 0 and noop_g <= 1,
        )
    )
    _, ref_g = per_op["preview --refresh"]
    section.targets.append(
        Target("preview --refresh: 1 GET per endpoint", f"{ref_g:.2f}", ref_g <= 1.0)
    )
    up_w, up_g = per_op["up"]
    section.targets.append(
        Target(
            "up (create): 1 write + polls per endpoint",
            f"{up_w:.2f} writes, {up_g:.2f} GETs (polls) per endpoint",
            up_w <= 1.0,
        )
    )
    return section


def _count(api: dict[str, int], key: str) -> int:
    return int(api.get(key, 0))


def _writes(api: dict[str, int]) -> int:
    return sum(
        v
        for k, v in api.items()
        if k.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE") and " /api/" in k
    )


def _other(api: dict[str, int]) -> int:
    known = {"GET /api/2.0/serving-endpoints/{name}", "GET /api/2.0/serving-endpoints"}
    return sum(v for k, v in api.items() if k not in known) - _writes(api)


@figure("Settle concurrency")
def settle_concurrency(bench: Bench) -> Section:
    """N endpoints, each create settling SETTLE_S on the plane: the up's wall time."""
    n = 8 if bench.quick else SETTLE_N
    section = Section("Settle concurrency")
    walls: list[float] = []
    polls: list[float] = []
    with plane_process(bench.tmp, SETTLE_S) as plane:
        folder = bench.tmp / f"endpoints-settle-{n}"
        write_endpoints(folder, n)
        project = Project.make(bench.tmp / "settle", "ours", folder, {})
        for rep in range(SETTLE_RUNS):
            stack = f"settle-{rep}"
            project.new_stack(stack, plane)
            try:
                run = project.run(["up", "--yes"], stack, plane)
                walls.append(run.wall_s)
                polls.append(_count(run.api, "GET /api/2.0/serving-endpoints/{name}") / n)
                project.run(["destroy", "--yes"], stack, plane)
            finally:
                project.remove_stack(stack)
            print(f"  settle N={n} rep {rep + 1}: up {run.wall_s:.1f}s", flush=True)
    times = med(walls) / SETTLE_S
    section.lines += [
        f"`pulumi up` creating N={n} endpoints on a plane where every create settles in "
        f"{SETTLE_S:.0f} s (`--settle-seconds`), with the defaults this repo sets: the "
        "provider server's 64 workers (`providers/server.py`) and `PULUMI_PARALLEL=64` "
        "(`providers/engine.py`). Pulumi's own server runs 4 operations at once and the "
        "engine 4 × CPUs, which made this about N/4 settles.",
        "",
        f"- up wall: {spread(walls)} = {times:.2f} × one settle",
        f"- polls (GET endpoint) per endpoint: {spread(polls, unit='', digits=1)}",
    ]
    section.targets.append(
        Target(
            f"settle concurrency: N={n}, {SETTLE_S:.0f} s settle, up ≤ 3 × one settle",
            f"{times:.2f} ×",
            times <= 3,
        )
    )
    return section


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


@figure("Validation of 1,000 files: servingops validate vs check-jsonschema")
def validation(bench: Bench) -> Section:
    section = Section("Validation of 1,000 files: servingops validate vs check-jsonschema")
    folder = bench.tmp / "validate"
    folder.mkdir(exist_ok=True)
    count = 100 if bench.quick else VALIDATE_FILES
    for i in range(count):
        (folder / f"bench-{i}.yaml").write_text(TEMPLATE.format(i=i))
    files = sorted(str(p) for p in folder.glob("*.yaml"))
    bin_dir = Path(sys.executable).parent
    schema = str(Path(__file__).resolve().parents[1] / "schemas" / "endpoint.schema.json")
    commands = {
        "servingops validate": [str(bin_dir / "servingops"), "validate", str(folder)],
        "check-jsonschema": [str(bin_dir / "check-jsonschema"), "--schemafile", schema, *files],
    }
    got: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in commands}
    for _ in range(1 if bench.quick else 3):
        for name, cmd in commands.items():
            wall, cpu, code = _timed(cmd, folder)
            if code != 0:
                raise RuntimeError(f"{name} found problems in the generated files (exit {code})")
            got[name][0].append(wall)
            got[name][1].append(cpu)
    ours, theirs = got["servingops validate"], got["check-jsonschema"]
    section.lines += [
        f"{count} generated files (`bench/bench_validate.py` TEMPLATE), one process each "
        "command, the same JSON Schema; interleaved runs, median (min–max). servingops "
        "also checks the semantic rules and reports file:line:column.",
        "",
        "| command | wall | CPU |",
        "|---|---|---|",
        *[f"| {k} | {spread(v[0])} | {spread(v[1])} |" for k, v in got.items()],
        "",
        f"Ratio ours / check-jsonschema: wall {ratio(ours[0], theirs[0]):.2f}, "
        f"CPU {ratio(ours[1], theirs[1]):.2f}.",
    ]
    section.targets.append(
        Target(
            f"validate {count} files: ours / check-jsonschema ≤ 1 (wall)",
            f"{ratio(ours[0], theirs[0]):.2f}",
            ratio(ours[0], theirs[0]) <= 1,
        )
    )
    return section


@figure("Peak memory")
def peak_rss(bench: Bench) -> Section:
    section = Section("Peak memory")
    runs = bench.shared.get("engine_runs")
    if not runs:
        section.lines.append("(needs the engine floor figure)")
        return section
    n = max(bench.sizes)
    section.lines += [
        f"Peak RSS (VmHWM from /proc, MB; the largest over the five operations, median "
        f"over runs) at N={n}.",
        "",
        "| variant | provider | program | language host | pulumi CLI |",
        "|---|---|---|---|---|",
    ]
    for kind in ("floor", "ours"):
        cells = []
        for k in ("provider", "program", "language host", "pulumi"):
            values = [max(r[op].peak_rss_mb.get(k, 0.0) for op in r) for r in runs[(kind, n)]]
            cells.append(f"{med(values):.0f}")
        section.lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return section


def environment_note() -> str:
    return (
        "interleaved runs (floor, ours, floor, ours …) on a shared machine; "
        f"CPU count {os.cpu_count()}; the plane runs as its own process (not counted)"
    )


@figure("Smoke: 50 endpoints with 200 ms injected latency")
def smoke_concurrency(bench: Bench) -> Section:
    """``servingops smoke``'s concurrency (issue 14): all endpoints against one query."""
    from bench.smoke_figure import measure

    section = Section("Smoke: 50 endpoints with 200 ms injected latency")
    got = measure(endpoints=10 if bench.quick else 50)
    section.lines += [
        f"{got.endpoints} endpoints, {got.injected_ms} ms injected at the plane on every "
        f"query, `--jobs {got.jobs}` (`bench/smoke_figure.py`); load average "
        f"{got.load_average:.1f} on this machine.",
        "",
        "| run | wall | / one query |",
        "|---|---|---|",
        f"| one query | {got.one_query_ms:.0f} ms | 1.00 |",
        f"| all endpoints, fresh connections | {got.all_ms:.0f} ms | {got.ratio:.2f} |",
        f"| all endpoints, warm (median of 3) | {got.all_warm_ms:.0f} ms | {got.warm_ratio:.2f} |",
        f"| all endpoints, `--jobs 1` | {got.one_by_one_ms:.0f} ms | "
        f"{got.one_by_one_ms / got.one_query_ms:.2f} |",
        f"| all endpoints, no injected latency | {got.no_latency_ms:.0f} ms | – |",
    ]
    section.targets.append(
        Target(
            f"smoke of {got.endpoints} endpoints ≤ 1.5 × one query (fresh connections)",
            f"{got.ratio:.2f}",
            got.ratio <= 1.5,
        )
    )
    return section
