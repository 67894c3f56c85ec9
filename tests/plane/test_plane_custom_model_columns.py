"""Custom-model inputs in column form, through the MLflow deployments client.

MLflow's scoring server (``mlflow/utils/proto_json_utils.py``, ``parse_tf_serving_input``
and ``parse_instances_data``) takes ``instances`` and ``inputs`` as rows or as
``{column: [values]}``; for ``instances`` every column must have the same number of
values ("The length of values for each input/column name are not the same"), and a
pyfunc model cannot build a DataFrame from ``inputs`` columns of different lengths either.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from mlflow.deployments import get_deploy_client
from plane_testing import running_plane

UC_MODEL = {
    "entity_name": "main.ml.churn",
    "entity_version": "3",
    "workload_size": "Small",
    "scale_to_zero_enabled": True,
}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "MLFLOW_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with running_plane(tmp_path, settle_seconds=0) as plane:
        monkeypatch.setenv("DATABRICKS_HOST", plane.url)
        monkeypatch.setenv("DATABRICKS_TOKEN", plane.token)
        deploy = get_deploy_client("databricks")
        deploy.create_endpoint("churn", config={"served_entities": [UC_MODEL]})
        yield deploy


def test_instances_in_column_form_give_one_prediction_per_row(client) -> None:
    columns = client.predict(
        endpoint="churn", inputs={"instances": {"a": [1, 2, 3], "b": [4, 5, 6]}}
    )
    rows = client.predict(
        endpoint="churn",
        inputs={"instances": [{"a": 1, "b": 4}, {"a": 2, "b": 5}, {"a": 3, "b": 6}]},
    )
    assert len(columns["predictions"]) == 3
    assert len(rows["predictions"]) == 3


@pytest.mark.parametrize("field", ["instances", "inputs"])
def test_columns_of_different_lengths_are_refused(client, field: str) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        client.predict(endpoint="churn", inputs={field: {"a": [1, 2, 3], "b": [4]}})
    answer = caught.value.response
    assert answer is not None and answer.status_code == 400
    assert answer.json()["error_code"] == "BAD_REQUEST"
    assert "same number of values" in answer.json()["message"]
    assert f"'{field}'" in answer.json()["message"]


def test_fields_besides_the_input_are_ignored_like_mlflow(client) -> None:
    """MLflow's scoring server keeps only the four input fields and ``params``
    (``_split_data_and_params``); the SDK's ``extra_params`` or a stray key is no error."""
    rows = [{"age": 31}, {"age": 58}]
    plain = client.predict(endpoint="churn", inputs={"dataframe_records": rows})
    extra = client.predict(
        endpoint="churn",
        inputs={"dataframe_records": rows, "extra_params": {"seed": "1"}, "temperature": 0.5},
    )
    assert extra["predictions"] == plain["predictions"]


@pytest.mark.parametrize(
    ("split", "words"),
    [
        ({"columns": ["age", "plan"], "data": [[31, "pro"], [58]]}, ["2 columns", "row 1"]),
        ({"colums": ["age"], "data": [[31]]}, ["'colums'", "columns", "index"]),
    ],
)
def test_dataframe_split_of_the_wrong_shape_is_refused(client, split, words) -> None:
    """MLflow ``dataframe_from_parsed_json``: only ``columns``, ``data``, ``index``, and a
    frame pandas can build (every row as wide as ``columns``)."""
    with pytest.raises(requests.HTTPError) as caught:
        client.predict(endpoint="churn", inputs={"dataframe_split": split})
    answer = caught.value.response
    assert answer is not None and answer.status_code == 400
    assert all(word in answer.json()["message"] for word in words), answer.json()["message"]
