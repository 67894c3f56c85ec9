"""The smoke benchmark runs end to end on a small scale and its numbers hang together."""

from __future__ import annotations

from bench.smoke_figure import measure


def test_a_small_smoke_figure() -> None:
    figure = measure(endpoints=4, latency_ms=150)
    assert figure.one_query_ms >= 150
    assert figure.one_by_one_ms >= 4 * 150
    assert figure.all_ms < figure.one_by_one_ms and figure.all_warm_ms < figure.one_by_one_ms
    assert figure.no_latency_ms < figure.all_warm_ms
    assert figure.ratio == figure.all_ms / figure.one_query_ms
