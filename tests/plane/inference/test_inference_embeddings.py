"""Offline embeddings: §9 shape, catalogue dimension per model, unit vectors, determinism."""

from __future__ import annotations

import math
from typing import Any

import pytest
from inference_helpers import EMBEDDINGS, answer, external_entity, make_ctx, query_error

from servingcatalogue import load_catalogue


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_embedding_response_has_the_documented_shape() -> None:
    result = answer(
        make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-small")),
        {"input": ["a b", "c"]},
    )
    assert set(result) == {"object", "model", "data", "usage"}
    assert result["object"] == "list"
    assert result["model"] == "text-embedding-3-small"
    assert [(d["object"], d["index"]) for d in result["data"]] == [
        ("embedding", 0),
        ("embedding", 1),
    ]
    assert result["usage"] == {"prompt_tokens": 3, "total_tokens": 3}


@pytest.mark.parametrize(
    ("entity", "endpoint_name", "expected"),
    [
        (external_entity(EMBEDDINGS, "text-embedding-3-small"), "e", 1536),
        (external_entity(EMBEDDINGS, "text-embedding-3-large"), "e", 3072),
        (external_entity(EMBEDDINGS, "text-embedding-004"), "e", 768),
        (external_entity(EMBEDDINGS, "some-new-model"), "e", 1024),
        ({"name": "gte-1", "entity_name": "system.ai.gte_large_en_v1_5"}, "e", 1024),
        ({"name": "gecko", "entity_name": "textembedding-gecko"}, "e", 768),
        ({"name": "x", "foundation_model": {"name": "embedding-gecko-001"}}, "e", 768),
        ({"name": "x"}, "text-embedding-ada-002", 1536),
    ],
)
def test_vector_length_is_the_catalogue_dimension(
    entity: dict[str, Any], endpoint_name: str, expected: int
) -> None:
    ctx = make_ctx(EMBEDDINGS, entity)
    ctx.endpoint_name = endpoint_name
    vector = answer(ctx, {"input": "hello"})["data"][0]["embedding"]
    assert len(vector) == expected


def test_unknown_model_uses_the_catalogue_default() -> None:
    ctx = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "brand-new-embedder"))
    vector = answer(ctx, {"input": "hello"})["data"][0]["embedding"]
    assert len(vector) == load_catalogue().default_embedding_dimension


def test_known_dimensions_differ_between_models() -> None:
    small = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-small"))
    large = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-large"))
    sizes = {len(answer(c, {"input": "x"})["data"][0]["embedding"]) for c in (small, large)}
    assert sizes == {1536, 3072}


def test_vectors_are_unit_length_deterministic_and_input_specific() -> None:
    ctx = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-small"))
    first = answer(ctx, {"input": ["cat", "dog"]})["data"]
    again = answer(ctx, {"input": "cat"})["data"][0]["embedding"]
    assert first[0]["embedding"] == again
    assert first[0]["embedding"] != first[1]["embedding"]
    for item in first:
        assert _norm(item["embedding"]) == pytest.approx(1.0, abs=1e-6)


def test_dimensions_parameter_shortens_the_vector() -> None:
    ctx = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-small"))
    vector = answer(ctx, {"input": "cat", "dimensions": 256})["data"][0]["embedding"]
    assert len(vector) == 256
    assert _norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_dimensions_above_the_model_size_is_refused() -> None:
    ctx = make_ctx(EMBEDDINGS, external_entity(EMBEDDINGS, "text-embedding-3-small"))
    err = query_error(ctx, {"input": "cat", "dimensions": 4096})
    assert (err.status, err.error_code) == (400, "INVALID_PARAMETER_VALUE")
    assert (
        "`dimensions` 4096 exceeds the 1536 dimensions of 'text-embedding-3-small'" in err.message
    )


def test_streaming_embeddings_is_refused() -> None:
    err = query_error(make_ctx(EMBEDDINGS), {"input": "cat", "stream": True})
    assert err.status == 400
    assert "`stream` is not supported for llm/v1/embeddings" in err.message
