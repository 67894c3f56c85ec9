"""Round two with official clients (issue 11): Databricks SDK, OpenAI, Databricks CLI shapes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.serving import (
    DataframeSplitInput,
    EndpointCoreConfigInput,
    ServedEntityInput,
)
from plane_testing import RunningPlane, running_plane

OAUTH = {"client_id": "sp-app-id", "client_secret": "sp-secret"}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No Databricks env vars or config file of the machine may leak into the clients."""
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "OPENAI_", "ARM_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture
def plane(tmp_path) -> Iterator[RunningPlane]:
    with running_plane(tmp_path, settle_seconds=0, pt_settle_seconds=0, **OAUTH) as running:
        yield running


@pytest.fixture
def w(plane: RunningPlane) -> WorkspaceClient:
    return WorkspaceClient(host=plane.url, token=plane.token)


@pytest.fixture
def w_oauth(plane: RunningPlane) -> WorkspaceClient:
    return WorkspaceClient(host=plane.url, auth_type="oauth-m2m", **OAUTH)


def test_current_user_me_with_the_token(w: WorkspaceClient, plane: RunningPlane) -> None:
    me = w.current_user.me()
    assert me.user_name == plane.settings.user_name
    assert me.active is True and me.id and me.id.isdigit()
    assert me.emails and me.emails[0].value == plane.settings.user_name
    assert w.current_user.me().id == me.id  # stable


def test_current_user_me_with_oauth_is_the_service_principal(w_oauth: WorkspaceClient) -> None:
    me = w_oauth.current_user.me()
    assert me.user_name == OAUTH["client_id"]


def test_workspace_id_from_the_scim_me_header(w: WorkspaceClient, plane: RunningPlane) -> None:
    assert str(w.get_workspace_id()) == plane.workspace_id


def _custom(w: WorkspaceClient, name: str = "churn") -> None:
    entity = ServedEntityInput(
        entity_name="main.ml.churn",
        entity_version="3",
        workload_size="Small",
        scale_to_zero_enabled=True,
    )
    w.serving_endpoints.create_and_wait(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity])
    )


def test_sdk_queries_a_custom_model_in_every_input_format(w: WorkspaceClient) -> None:
    _custom(w)
    records = [{"age": 31}, {"age": 58}]
    by_records = w.serving_endpoints.query("churn", dataframe_records=records).predictions
    assert by_records is not None and len(by_records) == 2
    split = DataframeSplitInput(columns=["age"], data=[[31], [58]])
    assert len(w.serving_endpoints.query("churn", dataframe_split=split).predictions or []) == 2
    assert len(w.serving_endpoints.query("churn", instances=[[1], [2], [3]]).predictions or []) == 3
    inputs = {"age": [1, 2, 3, 4]}
    assert len(w.serving_endpoints.query("churn", inputs=inputs).predictions or []) == 4
