"""``make bench``: run every figure and write bench/RESULTS.md and bench/engine-floor.png.

``python -m bench`` runs the full set (N = 10, 100, 300; about 25 minutes on 2 cores);
``python -m bench --quick`` a small one for development (N = 3, 10; one run each), and
``--sizes 100:1,300:1`` chosen sizes; both write ``bench/RESULTS-quick.md`` instead.
``--only TITLE-WORD`` runs the figures whose title contains it. The older single
benchmarks stay runnable on their own: ``python -m bench.bench_plane``,
``python -m bench.bench_validate``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench import figures
from bench.report import FIGURES, RESULTS, Section, header, now, write_plot, write_results

FULL_SIZES = {10: 3, 100: 2, 300: 2}
"""N → interleaved runs of each variant."""
QUICK_SIZES = {3: 1, 10: 1}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small N, one run each")
    parser.add_argument("--only", action="append", default=[], help="figure title word")
    parser.add_argument("--sizes", help="N:runs,... instead of the default sizes")
    opts = parser.parse_args(argv)
    sizes = QUICK_SIZES if opts.quick else FULL_SIZES
    if opts.sizes:
        pairs = (item.split(":") for item in opts.sizes.split(","))
        sizes = {int(n): int(runs) for n, runs in pairs}
        opts.quick = True  # a partial run: never overwrite RESULTS.md
    started, clock = now(), time.monotonic()
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="servingops-bench-") as tmp:
        bench = figures.Bench(Path(tmp), list(sizes), sizes, quick=opts.quick)
        for name, fn in FIGURES:
            if opts.only and not any(w.lower() in name.lower() for w in opts.only):
                continue
            print(f"== {name}", flush=True)
            t0 = time.monotonic()
            sections.append(fn(bench))
            print(f"   ({time.monotonic() - t0:.0f} s)", flush=True)
            _write(sections, started, time.monotonic() - clock, quick=opts.quick)  # so far
    return 0


def _write(sections: list[Section], started: datetime, elapsed: float, *, quick: bool) -> None:
    """RESULTS.md (RESULTS-quick.md for partial runs) and, for a full run, the plot."""
    out = RESULTS.with_name("RESULTS-quick.md") if quick else RESULTS
    write_results(sections, header(started, elapsed, figures.environment_note()), out)
    plotted = next((s.plot for s in sections if s.plot), None)
    if plotted and not quick:
        write_plot(plotted)
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
