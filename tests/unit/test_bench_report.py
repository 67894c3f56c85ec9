"""The bench header says "(+ uncommitted changes)" only for changes to what it measures:
a rerun rewrites RESULTS.md and the plot itself (found in the final fresh-clone run)."""

from __future__ import annotations

from bench.report import is_dirty


def test_the_bench_outputs_alone_are_not_a_change() -> None:
    assert not is_dirty(" M bench/RESULTS.md\n M bench/engine-floor.png\n")
    assert not is_dirty("")


def test_a_change_to_code_or_an_untracked_file_is() -> None:
    assert is_dirty(" M bench/RESULTS.md\n M servingops/cli.py\n")
    assert is_dirty("?? endpoints/new.yaml\n")
