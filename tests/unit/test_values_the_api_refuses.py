"""Values the REST API cannot take are refused at review time, with the right message.

Each test writes one endpoint file and checks the exact finding ``validate`` prints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from servingops.diagnostics import format_text
from servingops.loader import load_endpoints
from servingops.yamlsrc import YamlProblem, parse_yaml

EXTERNAL = """\
name: chat
tier: external
task: llm/v1/chat
served_entities:
  - name: gpt
    external_model:
      provider: openai
      name: gpt-4o-mini
      openai_config:
        openai_api_key: "{{secrets/llm/openai}}"
"""
PROVISIONED = """\
name: chat
tier: provisioned
task: llm/v1/chat
served_entities:
  - name: llama
    entity_name: system.ai.meta_llama_v3_3_70b_instruct
    entity_version: "2"
    min_provisioned_throughput: 0
    max_provisioned_throughput: 9500
"""


def _check(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chat.yaml"
    path.write_text(text)
    return format_text(load_endpoints([path]).report).replace(f"{tmp_path}/", "")


def test_email_format_is_checked(tmp_path: Path) -> None:
    out = _check(tmp_path, EXTERNAL + "email_notifications:\n  on_update_failure: [ops-team]\n")
    assert (
        "chat.yaml:12:23: error: value must be an email address, got 'ops-team' [schema/format]"
    ) in out


@pytest.mark.parametrize(
    ("line", "width", "bound"),
    [
        ("    max_provisioned_throughput: 2147483648\n", "32-bit", 2147483647),
        ("    max_provisioned_throughput: 99999999999999999999\n", "32-bit", 2147483647),
    ],
)
def test_integers_beyond_the_api_range_are_refused(
    tmp_path: Path, line: str, width: str, bound: int
) -> None:
    text = PROVISIONED.replace("    max_provisioned_throughput: 9500\n", line)
    out = _check(tmp_path, text)
    assert f"'max_provisioned_throughput' must be <= {bound}" in out
    assert f"hint: the control plane stores it as a {width} integer" in out


def test_rate_limit_calls_beyond_int64_are_refused(tmp_path: Path) -> None:
    gateway = (
        "ai_gateway:\n  rate_limits:\n"
        "    - {key: user, calls: 9223372036854775808, renewal_period: minute}\n"
    )
    out = _check(tmp_path, EXTERNAL + gateway)
    assert "'calls' must be <= 9223372036854775807, got 9223372036854775808" in out
    assert "64-bit integer" in out


def test_traffic_written_as_floats_gets_one_clear_rule(tmp_path: Path) -> None:
    two = EXTERNAL + (
        "  - name: mini\n    external_model:\n      provider: openai\n      name: gpt-4o\n"
        '      openai_config:\n        openai_api_key: "{{secrets/llm/openai}}"\n'
        "traffic: {gpt: 60.0, mini: 40.0}\n"
    )
    out = _check(tmp_path, two)
    assert "must sum to 100" not in out
    assert "chat.yaml:17:16: error: 'gpt' must be an integer, got 60.0 [schema/type]" in out
    assert "hint: write 60 without a decimal point (the API takes integers)" in out
    assert "'mini' must be an integer, got 40.0" in out


def test_workload_size_with_provisioned_concurrency_is_refused(tmp_path: Path) -> None:
    text = PROVISIONED.replace(
        "    min_provisioned_throughput: 0\n    max_provisioned_throughput: 9500\n",
        "    min_provisioned_throughput: 0\n    max_provisioned_throughput: 9500\n"
        "    workload_size: Small\n    max_provisioned_concurrency: 8\n",
    )
    out = _check(tmp_path, text)
    assert (
        "chat.yaml:10:5: error: workload_size cannot be combined with "
        "max_provisioned_concurrency [workload-sizing]"
    ) in out


def test_secret_reference_followed_by_a_newline_is_refused_by_name(tmp_path: Path) -> None:
    text = EXTERNAL.replace(
        'openai_api_key: "{{secrets/llm/openai}}"\n',
        "openai_api_key: |\n          {{secrets/llm/openai}}\n",
    )
    out = _check(tmp_path, text)
    assert "'openai_api_key' holds a secret reference with surrounding whitespace" in out
    assert 'hint: write it on one line: openai_api_key: "{{secrets/llm/openai}}"' in out


def test_numeric_plaintext_is_not_echoed_in_the_quote_it_hint(tmp_path: Path) -> None:
    text = EXTERNAL.replace(
        'openai_api_key: "{{secrets/llm/openai}}"', "openai_api_key_plaintext: 918273645546372"
    )
    out = _check(tmp_path, text)
    assert "918273645546372" not in out
    assert "quote the value to make it a string" in out


def test_default_entity_name_must_be_a_valid_name(tmp_path: Path) -> None:
    text = EXTERNAL.replace("  - name: gpt\n    external_model:", "  - external_model:").replace(
        "name: gpt-4o-mini", "name: org/gpt@v2"
    )
    out = _check(tmp_path, text)
    assert (
        "error: this entity has no 'name' and its default name 'org/gpt@v2' "
        "is not a valid served-entity name [entity-default-name]"
    ) in out


def test_plaintext_credential_in_environment_vars_is_refused_and_hidden(tmp_path: Path) -> None:
    text = PROVISIONED + (
        "    environment_vars:\n      OPENAI_API_KEY: sk-live-abcdef123456\n"
        "      LOG_LEVEL: debug\n"
        '      DB_PASSWORD: "{{secrets/db/password}}"\n'
        "      HEADER: Bearer abcdefghijkl\n"
    )
    out = _check(tmp_path, text)
    assert "environment variable 'OPENAI_API_KEY' holds a plaintext credential" in out
    assert "environment variable 'HEADER' holds a plaintext credential" in out
    assert "LOG_LEVEL" not in out and "DB_PASSWORD" not in out
    assert "sk-live-abcdef123456" not in out and "abcdefghijkl" not in out


def test_environment_var_values_are_hidden_in_schema_messages(tmp_path: Path) -> None:
    text = PROVISIONED + "    environment_vars:\n      TOKEN_TTL: 918273645546372\n"
    out = _check(tmp_path, text)
    assert "'TOKEN_TTL' must be a string, got a number" in out
    assert "918273645546372" not in out


def test_bare_trailing_document_marker_is_accepted() -> None:
    assert parse_yaml("a: 1\n---\n").data == {"a": 1}
    assert parse_yaml("---\na: 1\n---\n...\n").data == {"a": 1}


def test_second_real_document_is_still_refused() -> None:
    with pytest.raises(YamlProblem, match="more than one YAML document"):
        parse_yaml("a: 1\n---\nb: 2\n")
    with pytest.raises(YamlProblem, match="more than one YAML document"):
        parse_yaml("a: 1\n--- null\n")


def test_merge_key_list_follows_the_merge_spec() -> None:
    text = "base: &base {x: 1, y: 2}\nover: &over {x: 3, z: 4}\nm:\n  <<: [*base, *over]\n  y: 9\n"
    assert parse_yaml(text).data["m"] == {"x": 1, "z": 4, "y": 9}


def test_duplicate_own_keys_next_to_a_merge_are_still_refused() -> None:
    with pytest.raises(YamlProblem, match="duplicate key 'y'"):
        parse_yaml("b: &b {x: 1}\nm:\n  <<: *b\n  y: 1\n  y: 2\n")


def test_unclosed_quote_is_reported_where_it_opens() -> None:
    with pytest.raises(YamlProblem) as err:
        parse_yaml('name: chat\ndescription: "never closed\ntier: external\ntask: x\n')
    assert (err.value.pos.line, err.value.pos.col) == (2, 14)
    assert err.value.hint == "the quote that starts here is never closed"


@pytest.mark.parametrize(
    "address",
    # peer reports: python-jsonschema/jsonschema#204 ('@', 'johny@five@.com') and #403
    # (a trailing space) pass jsonschema's own "has an @" email check
    ["@", "@@", "johny@five@.com", "test@example.com ", "ops-team", "ops@localhost"],
)
def test_email_addresses_the_control_plane_would_bounce_are_refused(
    tmp_path: Path, address: str
) -> None:
    out = _check(tmp_path, EXTERNAL + f"email_notifications:\n  on_update_success: ['{address}']\n")
    assert f"value must be an email address, got {address!r} [schema/format]" in out


def test_plain_email_addresses_are_accepted(tmp_path: Path) -> None:
    text = (
        EXTERNAL + "email_notifications:\n  on_update_success: [first.last+ml@sub.example.co.uk]\n"
    )
    assert _check(tmp_path, text) == "1 file(s) checked: 0 error(s), 0 warning(s)\n"


def test_two_merge_keys_in_one_mapping_are_refused_with_the_list_form() -> None:
    """databricks/cli#5182: a second ``<<`` in one mapping panicked the bundle loader."""
    with pytest.raises(YamlProblem) as err:
        parse_yaml("a: &a {x: 1}\nb: &b {y: 2}\nm:\n  <<: *a\n  <<: *b\n")
    assert (err.value.message, err.value.pos.line, err.value.pos.col) == (
        "duplicate key '<<'",
        5,
        3,
    )
    assert "<<: [*first, *second]" in err.value.hint


def test_merge_chain_from_a_peer_report_is_accepted() -> None:
    """databricks/cli#5182's shape: a merged mapping that itself merges another."""
    text = (
        "base: &base {aws: {arn: x}, disk: true}\n"
        "std: &std\n  <<: *base\n  node: i3.xlarge\n"
        "job:\n  <<: *std\n  disk: false\n"
    )
    assert parse_yaml(text).data["job"] == {"aws": {"arn": "x"}, "node": "i3.xlarge", "disk": False}


def test_quote_left_open_until_a_later_quote_is_reported_where_it_opens() -> None:
    text = 'name: chat\ntask: "llm/v1/chat\ntier: external\ndescription: "x"\n'
    with pytest.raises(YamlProblem) as err:
        parse_yaml(text)
    assert (err.value.pos.line, err.value.pos.col) == (2, 7)
    assert err.value.hint.startswith("the quote that starts here runs on to line 4: ")
    assert "(the parser stopped at line 4, column 15)" in err.value.hint


def test_a_legitimate_multi_line_quote_far_from_the_error_is_not_blamed() -> None:
    text = 'description: "two\n  lines"\nname: [unclosed\n'
    with pytest.raises(YamlProblem) as err:
        parse_yaml(text)
    assert err.value.pos.line == 4 and "runs on to line" not in err.value.hint


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (EXTERNAL.replace("  - name: gpt", '  - name: "gpt\\n"') + 'traffic: {"gpt\\n": 100}\n', 5),
        (
            PROVISIONED + '    environment_vars: {"MODE\\n": fast}\n',
            10,
        ),
        (EXTERNAL.replace("name: chat", 'name: "chat\\n"', 1), 1),
    ],
)
def test_a_trailing_line_break_does_not_pass_an_anchored_pattern(
    tmp_path: Path, text: str, where: int
) -> None:
    """JSON Schema patterns are ECMA-262: ``$`` is the end of the string. Python's ``$``
    also matches before a final newline (python-jsonschema/jsonschema#576), so
    ``"gpt\\n"`` passed ``^[A-Za-z0-9_-]+$`` and would reach the API."""
    out = _check(tmp_path, text)
    assert f"chat.yaml:{where}:" in out
    assert "must match ^" in out and "\\n'" in out


@pytest.mark.parametrize("name", ["a" * 200_000, "chat\\n", "chat x"])
def test_an_invalid_endpoint_name_is_reported_once_not_echoed_into_a_rename_hint(
    tmp_path: Path, name: str
) -> None:
    """A 200,000-character name was echoed twice (message and "rename the file to …"),
    and ``"chat\\n"`` got the hint to rename the file to ``chat\\n.yaml``: a name the
    schema refuses is not offered as a file name."""
    out = _check(tmp_path, EXTERNAL.replace("name: chat", f'name: "{name}"', 1))
    assert "[schema/" in out and "chat.yaml:1:7: error: 'name'" in out
    assert "file name does not match" not in out and "rename the file" not in out
    assert len(out) < 2_000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABRICKS_TOKEN", "abcSECRETdef"),
        ("HF_TOKEN", "hf_SECRETvalue123"),
        ("GITHUB_TOKEN", "SECRETgithub"),
        ("DB_PASSWD", "SECRETpw"),
        ("SMTP_PASSWORD", "SECRETpw2"),
        ("AWS_SECRET_KEY", "SECRETaws"),
        ("DATABASE_URL", "postgres://svc:SECRETpw3@db.internal/app"),
    ],
)
def test_credential_named_or_shaped_environment_variables_are_refused(
    tmp_path: Path, name: str, value: str
) -> None:
    """The rule's promise was ``*_TOKEN``; ``DATABRICKS_TOKEN: abc…`` passed and its value
    was shown in the pull request's review comment. A URL with a password is one too."""
    out = _check(tmp_path, PROVISIONED + f"    environment_vars:\n      {name}: {value}\n")
    assert f"environment variable '{name}' holds a plaintext credential" in out
    assert value not in out and "SECRETpw" not in out


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_TOKENS", "512"),
        ("TOKENIZER", "llama"),
        ("PWD", "/srv"),
        ("TOKEN_TTL", "3600"),
        ("PASSWORD_POLICY_URL", "https://example.com/policy"),
        ("MODEL_URL", "https://huggingface.co/meta-llama"),
    ],
)
def test_ordinary_environment_variables_are_not_taken_for_credentials(
    tmp_path: Path, name: str, value: str
) -> None:
    out = _check(tmp_path, PROVISIONED + f"    environment_vars:\n      {name}: {value}\n")
    assert "plaintext credential" not in out


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "MODEL_CONFIG"])
@pytest.mark.parametrize("value", ['"{{secrets/llm/key}}\\n"', '"{{secrets/llm/key}} "'])
def test_an_environment_variable_reference_with_a_line_break_is_named_as_such(
    tmp_path: Path, name: str, value: str
) -> None:
    """A ``|`` block keeps the newline: the reference would be sent as is and not resolve.
    Under a credential name it was called "a plaintext credential"; under another name
    it passed."""
    out = _check(tmp_path, PROVISIONED + f"    environment_vars:\n      {name}: {value}\n")
    assert f"'{name}' holds a secret reference with surrounding whitespace or a line break" in out
    assert "plaintext credential" not in out
    assert "write it on one line: " in out


@pytest.mark.parametrize(
    ("written", "read"), [("0123", "83"), ("0x1F", "31"), ("1:30", "90"), ("1_000", "1000")]
)
def test_the_quote_it_hint_quotes_the_value_as_written(
    tmp_path: Path, written: str, read: str
) -> None:
    """``zip: 0123`` is octal 83 in YAML 1.1: the hint said to write ``"83"``."""
    out = _check(tmp_path, EXTERNAL + f"tags: {{zip: {written}}}\n")
    assert f"'zip' must be a string, got {read} [schema/type]" in out
    assert f'hint: quote the value to make it a string: "{written}" ' in out
    assert f"(YAML reads {written} as the number {read})" in out
