"""Live endpoints declared in no file: orphan (ours), foreign (another stack's), unmanaged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servingops.errors import UsageError
from servingops.review import FORMATS
from servingops.unmanaged import IgnoreRules, stack_owner, undeclared_endpoints

STACK = "servingops/local"


def live(name: str, **tags: str) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "state": {"ready": "READY"}}
    if tags:
        item["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    return item


def owned(name: str, owner: str, **tags: str) -> dict[str, Any]:
    return live(name, **{"servingops-stack": owner, **tags})


LISTING = [
    owned("support-chat", STACK),
    owned("old-chat", STACK),
    owned("their-chat", "billing/prod"),
    live("hand-made"),
    live("databricks-gte-large-en"),
]


def test_each_undeclared_endpoint_gets_its_verdict() -> None:
    items = undeclared_endpoints(LISTING, ["support-chat"], stack=STACK)
    assert [(i.name, i.verdict, i.owner) for i in items] == [
        ("hand-made", "unmanaged", None),
        ("old-chat", "orphan", STACK),
        ("their-chat", "foreign", "billing/prod"),
    ]


def test_pay_per_token_system_endpoints_are_never_reported() -> None:
    names = [i.name for i in undeclared_endpoints(LISTING, [], stack=STACK)]
    assert "databricks-gte-large-en" not in names and "support-chat" in names


def test_without_a_known_stack_a_tagged_endpoint_is_foreign() -> None:
    items = undeclared_endpoints([owned("old-chat", STACK)], [], stack=None)
    assert [i.verdict for i in items] == ["foreign"]


@pytest.mark.parametrize(
    ("rules", "left"),
    [
        (IgnoreRules(names=("hand-*",)), ["old-chat", "their-chat"]),
        (IgnoreRules(names=("*-chat",)), ["hand-made"]),
        (IgnoreRules(names=("HAND-*",)), ["hand-made", "old-chat", "their-chat"]),
        (IgnoreRules(tags=("servingops-stack=billing/prod",)), ["hand-made", "old-chat"]),
        (IgnoreRules(tags=("servingops-stack",)), ["hand-made"]),
        (IgnoreRules(tags=("team=ml",)), ["old-chat", "their-chat"]),
        (IgnoreRules(tags=("team=other",)), ["hand-made", "old-chat", "their-chat"]),
    ],
)
def test_ignore_rules_by_name_pattern_and_tag(rules: IgnoreRules, left: list[str]) -> None:
    listing = [*LISTING[1:3], live("hand-made", team="ml")]
    items = undeclared_endpoints(listing, [], stack=STACK, ignore=rules)
    assert [i.name for i in items] == left


def test_every_format_names_them() -> None:
    items = undeclared_endpoints(LISTING, ["support-chat"], stack=STACK)
    text = FORMATS["text"](items)
    assert "? old-chat  (orphan: servingops-stack=servingops/local (this stack)" in text
    assert "? their-chat  (foreign: servingops-stack=billing/prod" in text
    assert "? hand-made  (unmanaged: no servingops-stack tag" in text
    body = json.loads(FORMATS["json"](items))["endpoints"]
    assert {e["endpoint"]: (e["verdict"], e.get("owner")) for e in body} == {
        "hand-made": ("unmanaged", None),
        "old-chat": ("orphan", STACK),
        "their-chat": ("foreign", "billing/prod"),
    }
    markdown = FORMATS["markdown"](items)
    assert "| `old-chat` | orphan | `servingops-stack=servingops/local (this stack)" in markdown
    github = FORMATS["github"](items).splitlines()
    assert github[0].startswith("::warning title=unmanaged%3A hand-made::? hand-made")
    assert any(line.startswith("::warning title=orphan%3A old-chat::") for line in github)
    assert github[-1] == "3 endpoint(s): 1 foreign, 1 orphan, 1 unmanaged"


def test_stack_owner_from_flag_project_file_and_env(tmp_path: Path) -> None:
    project = tmp_path / "Pulumi.yaml"
    assert stack_owner("a/b", project_file=project, env={}) == "a/b"
    assert stack_owner(None, project_file=project, env={}) is None
    with pytest.raises(UsageError, match="PROJECT/STACK"):
        stack_owner("prod", project_file=project, env={})
    project.write_text("name: payments\nruntime: python\n")
    assert stack_owner("prod", project_file=project, env={}) == "payments/prod"
    assert stack_owner(None, project_file=project, env={}) == "payments/local"
    env = {"SERVINGOPS_STACK": "dev"}
    assert stack_owner(None, project_file=project, env=env) == "payments/dev"


@pytest.mark.parametrize("value", ["", " ", "/", "payments/", "/prod", "a//b"])
def test_an_empty_stack_or_part_is_refused_not_taken_for_the_default(
    tmp_path: Path, value: str
) -> None:
    # `--stack "$STACK"` with $STACK unset in CI: silently checking the default stack
    # `local` would report every orphan of the real stack as `foreign`
    project = tmp_path / "Pulumi.yaml"
    project.write_text("name: payments\nruntime: python\n")
    with pytest.raises(UsageError, match="--stack"):
        stack_owner(value, project_file=project, env={})


def test_the_project_name_comes_from_pulumi_yml_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pulumi reads Pulumi.yaml or Pulumi.yml; with only the latter every orphan of this
    # stack was `foreign`, and a bare --stack was refused for want of a project file
    (tmp_path / "Pulumi.yml").write_text("name: payments\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    assert stack_owner(None, env={}) == "payments/local"
    assert stack_owner("prod", env={}) == "payments/prod"
