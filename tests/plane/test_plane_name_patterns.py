"""The plane's name and secret-reference checks match the whole value: Python's ``$``
also matches before a final line break, so ``"gpt\\n"`` passed (found by the issue-9
review of servingops' own schema patterns; the same kind lived here)."""

from __future__ import annotations

import pytest

from plane.checks import InvalidParameter, check_name, exactly_one
from plane.inference.tools import validate_tools


@pytest.mark.parametrize("name", ["gpt\n", "gpt\r\n", "\ngpt"])
def test_a_name_with_a_line_break_is_refused(name: str) -> None:
    with pytest.raises(InvalidParameter, match="alphanumeric"):
        check_name(name, "config.served_entities[0].name", 63)


def test_a_secret_reference_with_a_trailing_line_break_is_refused() -> None:
    block = {"openai_api_key": "{{secrets/llm/openai}}\n"}
    with pytest.raises(InvalidParameter, match="secret reference"):
        exactly_one(block, "openai_api_key", "openai_config")


def test_a_tool_name_with_a_line_break_is_refused() -> None:
    tools = [{"type": "function", "function": {"name": "lookup\n", "parameters": {}}}]
    with pytest.raises(Exception, match="name"):
        validate_tools({"tools": tools})
