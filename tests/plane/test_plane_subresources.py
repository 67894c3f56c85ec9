"""In-place sub-resources: AI gateway, tags, legacy rate limits, notifications, telemetry."""

from __future__ import annotations

from plane_payloads import API, assert_error, chat_endpoint

GATEWAY = {
    "usage_tracking_config": {"enabled": True},
    "rate_limits": [{"calls": 100, "key": "user", "renewal_period": "minute"}],
    "fallback_config": {"enabled": True},
}
CUSTOM = {"entity_name": "main.default.m", "entity_version": "1", "scale_to_zero_enabled": True}


def test_put_ai_gateway_echoes_and_get_returns_it(api):
    api.post(API, chat_endpoint())
    r = api.put(f"{API}/chat/ai-gateway", GATEWAY)
    assert r.status_code == 200 and r.json() == GATEWAY
    assert api.get(f"{API}/chat").json()["ai_gateway"] == GATEWAY


def test_put_ai_gateway_is_a_full_replace(api):
    api.post(API, chat_endpoint(ai_gateway=GATEWAY))
    api.put(f"{API}/chat/ai-gateway", {"usage_tracking_config": {"enabled": False}})
    assert api.get(f"{API}/chat").json()["ai_gateway"] == {
        "usage_tracking_config": {"enabled": False}
    }


def test_put_ai_gateway_all_null_clears_it(api):
    api.post(API, chat_endpoint(ai_gateway=GATEWAY))
    nulls = dict.fromkeys(GATEWAY)
    assert api.put(f"{API}/chat/ai-gateway", nulls).json() == {}
    assert "ai_gateway" not in api.get(f"{API}/chat").json()


def test_put_ai_gateway_refuses_renaming_an_enabled_inference_table(api):
    table = {"enabled": True, "catalog_name": "main", "schema_name": "logs"}
    api.post(API, chat_endpoint(ai_gateway={"inference_table_config": table}))
    renamed = {"inference_table_config": dict(table, schema_name="other")}
    r = api.put(f"{API}/chat/ai-gateway", renamed)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "'ai_gateway.inference_table_config': to change the inference table's catalog, schema "
        "or prefix, disable the inference table first, then enable it with the new names.",
    )


def test_put_ai_gateway_fallback_needs_enabled(api):
    api.post(API, chat_endpoint())
    r = api.put(f"{API}/chat/ai-gateway", {"fallback_config": {}})
    assert_error(
        r, 400, "INVALID_PARAMETER_VALUE", "'ai_gateway.fallback_config.enabled' is required."
    )


def test_put_ai_gateway_allowed_on_pay_per_token(api):
    name = "databricks-gte-large-en"
    r = api.put(f"{API}/{name}/ai-gateway", {"usage_tracking_config": {"enabled": True}})
    assert r.status_code == 200
    assert api.get(f"{API}/{name}").json()["ai_gateway"] == {
        "usage_tracking_config": {"enabled": True}
    }


def test_put_ai_gateway_unknown_endpoint_is_404(api):
    r = api.put(f"{API}/missing/ai-gateway", GATEWAY)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_patch_tags_merges_and_sorts(api):
    api.post(API, chat_endpoint(tags=[{"key": "team", "value": "a"}, {"key": "old", "value": "x"}]))
    body = {
        "add_tags": [{"key": "team", "value": "b"}, {"key": "cost", "value": "1"}],
        "delete_tags": ["old"],
    }
    r = api.patch(f"{API}/chat/tags", body)
    assert r.json() == {"tags": [{"key": "cost", "value": "1"}, {"key": "team", "value": "b"}]}
    assert api.get(f"{API}/chat").json()["tags"] == r.json()["tags"]


def test_patch_tags_deleting_all_drops_the_field(api):
    api.post(API, chat_endpoint(tags=[{"key": "team", "value": "a"}]))
    assert api.patch(f"{API}/chat/tags", {"delete_tags": ["team"]}).json() == {"tags": []}
    assert "tags" not in api.get(f"{API}/chat").json()


def test_patch_tags_without_key_is_400(api):
    api.post(API, chat_endpoint())
    r = api.patch(f"{API}/chat/tags", {"add_tags": [{"value": "x"}]})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "'add_tags[0].key' is required.")


def test_put_legacy_rate_limits_echoes_but_get_hides_them(api):
    api.post(API, chat_endpoint())
    limits = {"rate_limits": [{"calls": 10, "key": "user", "renewal_period": "minute"}]}
    assert api.put(f"{API}/chat/rate-limits", limits).json() == limits
    assert "rate_limits" not in api.get(f"{API}/chat").json()


def test_put_legacy_rate_limits_rejects_user_group_key(api):
    api.post(API, chat_endpoint())
    limits = {"rate_limits": [{"calls": 10, "key": "user_group", "renewal_period": "minute"}]}
    r = api.put(f"{API}/chat/rate-limits", limits)
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "'rate_limits[0].key' must be one of user, endpoint, got 'user_group'.",
    )


def test_patch_notifications(api):
    api.post(API, chat_endpoint())
    notes = {"on_update_failure": ["ops@example.com"]}
    r = api.patch(f"{API}/chat/notifications", {"email_notifications": notes})
    assert r.json() == {"name": "chat", "email_notifications": notes}
    assert api.get(f"{API}/chat").json()["email_notifications"] == notes


def test_patch_notifications_rejects_non_strings(api):
    api.post(API, chat_endpoint())
    r = api.patch(f"{API}/chat/notifications", {"email_notifications": {"on_update_success": [1]}})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "'email_notifications.on_update_success[0]' must be a string.",
    )


def test_patch_telemetry_on_custom_model_endpoint(api):
    api.post(API, {"name": "custom", "config": {"served_entities": [CUSTOM]}})
    api.clock.advance(1)
    telemetry = {"enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS"]}
    r = api.patch(f"{API}/custom/telemetry-config", {"telemetry_config": telemetry})
    assert r.status_code == 200 and r.json()["telemetry_config"] == telemetry
    r = api.patch(f"{API}/custom/telemetry-config", {})
    assert "telemetry_config" not in r.json()


def test_patch_telemetry_while_updating_is_409(api):
    api.post(API, {"name": "custom", "config": {"served_entities": [CUSTOM]}})
    r = api.patch(f"{API}/custom/telemetry-config", {"telemetry_config": {}})
    assert r.status_code == 409 and r.json()["error_code"] == "RESOURCE_CONFLICT"


def test_patch_telemetry_on_external_endpoint_is_400(api):
    api.post(API, chat_endpoint())
    api.clock.advance(1)
    r = api.patch(f"{API}/chat/telemetry-config", {"telemetry_config": {}})
    assert_error(
        r,
        400,
        "INVALID_PARAMETER_VALUE",
        "telemetry_config is only supported for custom model endpoints, not for external-model, "
        "provisioned-throughput or pay-per-token endpoints.",
    )
