"""Custom-model (UC model entity) queries: MLflow's scoring protocol, offline predictions.

``predict(ctx, body)`` answers ``{"predictions": [...]}``, one deterministic number in
``[0, 1)`` per input row (the same row and model give the same number). The body holds
exactly one input field (MLflow pyfunc scoring server, ``mlflow/pyfunc/scoring_server``):

    dataframe_records  [{column: value}, ...]               one row per record
    dataframe_split    {columns?, data: [[...]], index?}     one row per data item
                       (no other keys; each row as wide as ``columns``)
    instances          [row, ...] | {column: [values]}       rows / column length
    inputs             [row, ...] | {column: [values]} | scalar  rows / column length / 1

(columns of one ``{column: [values]}`` object must be equally long)

plus optional ``params`` (a JSON object). Other top-level fields (``client_request_id``,
``usage_context``, the SDK's ``extra_params`` ...) are ignored, as MLflow's
``_split_data_and_params`` keeps only the input fields and ``params``; zero or two input
fields are a 400 ``BAD_REQUEST`` naming the fields received.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from plane.inference.context import QueryContext, bad_request

__all__ = ["CUSTOM", "INPUT_FIELDS", "predict"]

CUSTOM = "custom"
"""``QueryContext.task`` of a custom-model endpoint (it has no ``llm/v1/*`` task)."""
INPUT_FIELDS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def predict(ctx: QueryContext, body: dict[str, Any]) -> dict[str, Any]:
    """``{"predictions": [...]}`` for a scoring-protocol ``body``; 400 on another shape."""
    given = [key for key in INPUT_FIELDS if key in body]
    if len(given) != 1:
        raise bad_request(
            f"Invalid input for custom-model endpoint '{ctx.endpoint_name}'. The input must "
            "be a JSON dictionary with exactly one of the input fields "
            f"{sorted(INPUT_FIELDS)}; received fields {sorted(body)}."
        )
    if body.get("params") is not None and not isinstance(body["params"], dict):
        raise bad_request("'params' must be a JSON object of inference parameters.")
    rows = _rows(given[0], body[given[0]])
    model = f"{ctx.entity.get('entity_name', '')}/{ctx.entity.get('entity_version', '')}"
    return {"predictions": [_score(model, row) for row in rows]}


def _rows(field: str, value: Any) -> list[Any]:
    """The input rows of one scoring-protocol field."""
    if field == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            raise bad_request("'dataframe_records' must be a list of {column: value} objects.")
        return value
    if field == "dataframe_split":
        return _split_rows(value)
    if isinstance(value, dict):
        return _column_rows(field, value)
    if isinstance(value, list):
        return value
    if field == "instances":
        raise bad_request("'instances' must be a list of rows or a {column: [values]} object.")
    return [value]


def _split_rows(value: Any) -> list[Any]:
    """The rows of ``dataframe_split``: ``{data, columns?, index?}`` and nothing else, each
    list row as wide as ``columns`` (MLflow ``dataframe_from_parsed_json``, which builds
    ``pandas.DataFrame(index=, columns=, data=)``)."""
    data = value.get("data") if isinstance(value, dict) else None
    columns = (value.get("columns") or []) if isinstance(value, dict) else None
    if not isinstance(data, list) or not isinstance(columns, list):
        raise bad_request("'dataframe_split' must be {columns: [...], data: [[...], ...]}.")
    extra = sorted(set(value) - {"columns", "data", "index"})
    if extra:
        raise bad_request(
            f"'dataframe_split' takes only 'columns', 'data' and 'index'; got {extra}."
        )
    for i, row in enumerate(data):
        if columns and isinstance(row, list) and len(row) != len(columns):
            raise bad_request(
                f"'dataframe_split': {len(columns)} columns passed, but row {i} of 'data' "
                f"has {len(row)} values."
            )
    return data


def _column_rows(field: str, value: dict[str, Any]) -> list[Any]:
    """The rows of ``instances`` / ``inputs`` given as ``{column: [values]}`` (one row when
    a column is not a list); columns of different lengths are a 400, as in MLflow's
    ``parse_instances_data`` ("The length of values for each input/column name are not
    the same")."""
    columns = list(value.values())
    if not columns or not all(isinstance(c, list) for c in columns):
        return [value]
    lengths = {key: len(column) for key, column in value.items()}
    if len(set(lengths.values())) > 1:
        raise bad_request(
            f"'{field}' columns must have the same number of values; got lengths {lengths}."
        )
    return [list(row) for row in zip(*columns, strict=True)]


def _score(model: str, row: Any) -> float:
    """A number in [0, 1) that depends only on the model and the row."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{model}\x00{text}".encode()).digest()
    return round(int.from_bytes(digest[:6], "big") / 2**48, 6)
