"""ClientSettings from stack config and the environment, and how the client applies them."""

from __future__ import annotations

import httpx
import pytest

from servingops.auth import BearerToken
from servingops.client import ClientSettings, ControlPlaneClient, client_settings
from servingops.clientsettings import knob_names
from servingops.connect import connect
from servingops.errors import ConfigError


def test_defaults() -> None:
    settings = ClientSettings()
    assert (settings.timeout_s, settings.connect_timeout_s, settings.retry_budget_s) == (
        60.0,
        10.0,
        300.0,
    )
    assert (settings.connect_tries, settings.backoff_cap_s, settings.max_retries) == (2, 10.0, None)


def test_stack_config_keys_with_or_without_namespace() -> None:
    config = {
        "servingops:httpTimeoutSeconds": "300",
        "connectTimeoutSeconds": "2.5",
        "servingops:retryBudgetSeconds": 0,
        "servingops:host": "ignored",
    }
    settings = client_settings(config)
    assert (settings.timeout_s, settings.connect_timeout_s, settings.retry_budget_s) == (
        300.0,
        2.5,
        0.0,
    )


def test_absent_or_empty_keys_keep_the_base() -> None:
    base = ClientSettings(timeout_s=42.0)
    assert client_settings({"servingops:httpTimeoutSeconds": " "}, base) == base
    assert client_settings({}) == ClientSettings()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("servingops:httpTimeoutSeconds", "abc", "a number of seconds, greater than 0; got 'abc'"),
        ("servingops:httpTimeoutSeconds", "0", "greater than 0; got '0'"),
        ("servingops:connectTimeoutSeconds", "-1", "greater than 0; got '-1'"),
        ("servingops:retryBudgetSeconds", "-5", "0 or more; got '-5'"),
        ("servingops:retryBudgetSeconds", "inf", "got 'inf'"),
        ("servingops:retryBudgetSeconds", "30s", "got '30s'"),
    ],
)
def test_bad_stack_values_are_config_errors_naming_the_key(
    key: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        client_settings({key: value})
    assert caught.value.message.startswith(f"{key} must be ")
    assert expected in caught.value.message
    assert f"pulumi config set {key} 120" in caught.value.hint


def test_environment_variables() -> None:
    env = {
        "SERVINGOPS_HTTP_TIMEOUT": "90",
        "SERVINGOPS_CONNECT_TIMEOUT": "3",
        "SERVINGOPS_RETRY_BUDGET": "600",
    }
    assert ClientSettings.from_env(env) == ClientSettings(
        timeout_s=90.0, connect_timeout_s=3.0, retry_budget_s=600.0
    )
    with pytest.raises(ConfigError, match=r"SERVINGOPS_HTTP_TIMEOUT must be .* got 'x'") as err:
        ClientSettings.from_env({"SERVINGOPS_HTTP_TIMEOUT": "x"})
    assert "export SERVINGOPS_HTTP_TIMEOUT=120" in err.value.hint


def test_knob_names() -> None:
    assert knob_names("timeout_s") == "servingops:httpTimeoutSeconds / SERVINGOPS_HTTP_TIMEOUT"


def test_constructor_keywords_override_the_settings() -> None:
    base = ClientSettings(timeout_s=5.0, retry_budget_s=1.0, connect_timeout_s=1.0)
    client = ControlPlaneClient(
        "http://h", BearerToken("tok-123456"), settings=base, timeout=300.0, max_retries=0
    )
    assert client.settings == ClientSettings(
        timeout_s=300.0, retry_budget_s=1.0, connect_timeout_s=1.0, max_retries=0
    )
    client.close()


def test_from_env_reads_the_servingops_variables() -> None:
    env = {
        "DATABRICKS_HOST": "http://127.0.0.1:8123",
        "DATABRICKS_TOKEN": "tok-123456",
        "SERVINGOPS_HTTP_TIMEOUT": "123",
    }
    http = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    with ControlPlaneClient.from_env(env=env, http=http) as client:
        assert client.settings.timeout_s == 123.0


def test_an_owned_http_client_uses_both_timeouts() -> None:
    settings = ClientSettings(timeout_s=77.0, connect_timeout_s=4.0)
    with ControlPlaneClient("http://h", BearerToken("tok-123456"), settings=settings) as client:
        timeout = client._http.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (4.0, 77.0, 77.0, 77.0)


def test_connect_reads_the_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "http://127.0.0.1:8123")
    monkeypatch.setenv("DATABRICKS_TOKEN", "tok-123456")
    monkeypatch.setenv("SERVINGOPS_CONNECT_TIMEOUT", "1.5")
    with connect() as client:
        assert client.settings.connect_timeout_s == 1.5
    with connect(settings=ClientSettings(connect_timeout_s=9.0)) as client:
        assert client.settings.connect_timeout_s == 9.0
