"""Queries: invocations, per-entity routes, the OpenAI surface, traffic split, rate limits."""

from __future__ import annotations

from collections import Counter

from plane_payloads import API, assert_error, chat_endpoint, openai_entity, two_entity_endpoint

CHAT = {"messages": [{"role": "user", "content": "Reply with OK."}], "max_tokens": 8}
PPT = "databricks-meta-llama-3-3-70b-instruct"


def _ready(api, body=None):
    body = body or chat_endpoint()
    api.post(API, body)
    api.clock.advance(1)
    return body["name"]


def test_invocations_answers_chat_and_names_the_entity(api):
    _ready(api)
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert r.status_code == 200
    assert r.headers["served-model-name"] == "gpt"
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"]["total_tokens"] > 0


def test_invocations_on_unknown_endpoint_is_404(api):
    r = api.post("/serving-endpoints/missing/invocations", CHAT)
    assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint with name 'missing' does not exist.")


def test_invocations_before_ready_is_400_invalid_state(api):
    api.post(API, chat_endpoint())
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert_error(
        r,
        400,
        "INVALID_STATE",
        "Endpoint 'chat' is not ready (state IN_PROGRESS); query it once it is READY.",
    )


def test_invocations_map_engine_errors(api):
    _ready(api)
    r = api.post("/serving-endpoints/chat/invocations", {"prompt": "hi"})
    assert_error(
        r,
        400,
        "BAD_REQUEST",
        "`prompt` is the input of llm/v1/completions endpoints; this llm/v1/chat endpoint "
        "expects `messages` (a list of {role, content})",
    )


def test_chat_body_on_custom_model_endpoint_is_400_naming_the_input_fields(api):
    entity = {"entity_name": "main.default.m", "entity_version": "1", "scale_to_zero_enabled": True}
    _ready(api, {"name": "custom", "config": {"served_entities": [entity]}})
    r = api.post("/serving-endpoints/custom/invocations", CHAT)
    assert_error(
        r,
        400,
        "BAD_REQUEST",
        "Invalid input for custom-model endpoint 'custom'. The input must be a JSON dictionary "
        "with exactly one of the input fields ['dataframe_records', 'dataframe_split', "
        "'inputs', 'instances']; received fields ['max_tokens', 'messages'].",
    )


def test_served_model_route_picks_that_entity(api):
    _ready(api, two_entity_endpoint(gpt=100, claude=0))
    r = api.post("/serving-endpoints/chat/served-models/claude/invocations", CHAT)
    assert r.status_code == 200 and r.headers["served-model-name"] == "claude"


def test_served_model_route_unknown_entity_is_404(api):
    _ready(api)
    r = api.post("/serving-endpoints/chat/served-models/nope/invocations", CHAT)
    assert_error(
        r, 404, "RESOURCE_DOES_NOT_EXIST", "Served entity 'nope' does not exist in endpoint 'chat'."
    )


def test_traffic_split_follows_the_percentages(api):
    _ready(api, two_entity_endpoint(gpt=80, claude=20))
    seen = Counter(
        api.post("/serving-endpoints/chat/invocations", CHAT).headers["served-model-name"]
        for _ in range(100)
    )
    assert set(seen) == {"gpt", "claude"}
    assert 60 <= seen["gpt"] <= 95


def test_zero_percent_entity_gets_no_traffic(api):
    _ready(api, two_entity_endpoint(gpt=100, claude=0))
    names = {
        api.post("/serving-endpoints/chat/invocations", CHAT).headers["served-model-name"]
        for _ in range(20)
    }
    assert names == {"gpt"}


def test_openai_chat_completions_uses_model_as_endpoint(api):
    _ready(api)
    r = api.post("/serving-endpoints/chat/completions", {"model": "chat", **CHAT})
    assert r.status_code == 200 and r.json()["object"] == "chat.completion"


def test_openai_route_without_model_is_400(api):
    r = api.post("/serving-endpoints/chat/completions", CHAT)
    assert_error(
        r, 400, "INVALID_PARAMETER_VALUE", "'model' is required: the name of the serving endpoint."
    )


def test_openai_route_of_another_task_is_400(api):
    _ready(api)
    r = api.post("/serving-endpoints/embeddings", {"model": "chat", "input": "hi"})
    assert_error(
        r,
        400,
        "BAD_REQUEST",
        "Endpoint 'chat' serves llm/v1/chat, not llm/v1/embeddings; send this request to "
        "/serving-endpoints/chat/completions.",
    )


def test_openai_embeddings_on_pay_per_token_endpoint(api):
    r = api.post(
        "/serving-endpoints/embeddings", {"model": "databricks-gte-large-en", "input": ["a", "b"]}
    )
    assert r.status_code == 200
    data = r.json()["data"]
    assert len(data) == 2 and len(data[0]["embedding"]) == 1024


def test_openai_completions_route(api):
    entity = openai_entity("inst", "gpt-3.5-turbo-instruct")
    entity["external_model"]["task"] = "llm/v1/completions"
    _ready(api, chat_endpoint("comp", entity))
    r = api.post(
        "/serving-endpoints/completions", {"model": "comp", "prompt": "Say OK", "max_tokens": 4}
    )
    assert r.status_code == 200 and r.json()["object"] == "text_completion"


def test_pay_per_token_endpoint_answers(api):
    r = api.post(f"/serving-endpoints/{PPT}/invocations", CHAT)
    assert r.status_code == 200 and r.headers["served-model-name"] == PPT


def test_streaming_returns_server_sent_events(api):
    _ready(api)
    r = api.post("/serving-endpoints/chat/invocations", {**CHAT, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["served-model-name"] == "gpt"
    assert r.text.startswith("data: ")
    assert r.text.rstrip().endswith("data: [DONE]")


def test_rate_limit_per_endpoint_gives_429_with_retry_after(api):
    limits = [{"calls": 2, "renewal_period": "minute"}]
    _ready(api, chat_endpoint(ai_gateway={"rate_limits": limits}))
    for _ in range(2):
        assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert_error(
        r,
        429,
        "REQUEST_LIMIT_EXCEEDED",
        f"Exceeded the per-endpoint calls rate limit of endpoint 'chat'; retry after {retry} s.",
    )
    api.clock.advance(60)
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200


def test_rate_limit_of_zero_disables_the_endpoint(api):
    _ready(
        api, chat_endpoint(ai_gateway={"rate_limits": [{"calls": 0, "renewal_period": "minute"}]})
    )
    r = api.post("/serving-endpoints/chat/invocations", CHAT)
    assert_error(
        r, 403, "PERMISSION_DENIED", "Endpoint 'chat' is disabled due to a rate limit set to 0."
    )


def test_token_rate_limit_counts_usage(api):
    _ready(
        api, chat_endpoint(ai_gateway={"rate_limits": [{"tokens": 5, "renewal_period": "minute"}]})
    )
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 429


def test_per_user_rate_limit_counts_each_principal(make_api):
    api = make_api(client_id="sp-1", client_secret="s3cret", enforce_acl=False)  # sp-1: no ACL
    limits = [{"calls": 1, "key": "user", "renewal_period": "minute"}]
    _ready(api, chat_endpoint(ai_gateway={"rate_limits": limits}))
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 429
    form = {"grant_type": "client_credentials", "client_id": "sp-1", "client_secret": "s3cret"}
    token = api.client.post("/oidc/v1/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = api.client.post("/serving-endpoints/chat/invocations", json=CHAT, headers=headers)
    assert r.status_code == 200


def test_legacy_rate_limits_are_enforced_too(api):
    _ready(api)
    api.put(f"{API}/chat/rate-limits", {"rate_limits": [{"calls": 1, "renewal_period": "minute"}]})
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 200
    assert api.post("/serving-endpoints/chat/invocations", CHAT).status_code == 429


def test_provisioned_throughput_endpoint_answers(api):
    entity = {
        "name": "llama",
        "entity_name": "system.ai.meta_llama_v3_3_70b_instruct",
        "entity_version": "1",
        "provisioned_model_units": 50,
    }
    api.post(f"{API}/pt", {"name": "pt", "config": {"served_entities": [entity]}})
    api.clock.advance(5)
    r = api.post("/serving-endpoints/pt/invocations", CHAT)
    assert r.status_code == 200 and r.headers["served-model-name"] == "llama"
