"""Review of issue 10 through the real Pulumi engine, one stack, tests in order: a user
e-mail written in another case converges (terraform-provider-databricks#5183); removing
the ``permissions`` key leaves the live ACL alone, hand-added principals included;
``permissions: []`` leaves the creator; naming the creator below CAN_MANAGE stops ``up``
with the file named, no traceback, and the ACL unchanged; a replace (new id) gets the
declared ACL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from plane_testing import running_plane
from pulumi import automation as auto
from stackenv import REPO, StackEnv, make_stack

pytestmark = pytest.mark.e2e
STACK = "aclreview"
NAME = "acl-review"
SP = "5f3c9a52-7d3e-4b1a-9c4e-2a8b6d0e1f37"
GRANTS = [
    {"level": "CAN_QUERY", "user_name": "Ana@Example.com"},
    {"level": "CAN_QUERY", "service_principal_name": SP},
]


def _chat(**keys: Any) -> dict[str, Any]:
    data = yaml.safe_load((REPO / "endpoints" / "internal-chat.yaml").read_text())
    for key in ("ai_gateway", "tags", "email_notifications"):
        data.pop(key, None)
    return {**data, "name": NAME, **keys}


def _acl(env: StackEnv) -> dict[str, str]:
    """Direct ACL entries of the live endpoint: principal -> level."""
    endpoint_id = env.http.get(f"/api/2.0/serving-endpoints/{NAME}").json()["id"]
    body = env.http.get(f"/api/2.0/permissions/serving-endpoints/{endpoint_id}").json()
    out = {}
    for entry in body["access_control_list"]:
        kind = next(k for k in ("user_name", "group_name", "service_principal_name") if k in entry)
        direct = [p for p in entry["all_permissions"] if not p["inherited"]]
        if direct:
            out[entry[kind]] = direct[0]["permission_level"]
    return out


def _writes(env: StackEnv) -> int:
    return int(env.http.get("/__plane/stats").json()["writes"])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackEnv]:
    tmp = tmp_path_factory.mktemp("aclreview")
    with running_plane(tmp, settle_seconds=0, pt_settle_seconds=0) as plane:
        with plane.client() as http:
            env = make_stack(tmp, plane, http, STACK, {NAME: _chat(permissions=GRANTS)})
            assert env.changes(env.up()) == {"create": 3}
            yield env
        env.stack.workspace.remove_stack(STACK, force=True)


def test_a_user_e_mail_in_another_case_converges_and_a_second_up_is_quiet(env: StackEnv) -> None:
    assert _acl(env)["ana@example.com"] == "CAN_QUERY"
    env.http.delete("/__plane/stats")
    preview = env.preview()
    assert {k: n for k, n in preview.change_summary.items() if k != "same"} == {}
    assert env.changes(env.up(refresh=True)) == {}
    assert _writes(env) == 0


def test_removing_the_permissions_key_leaves_the_live_acl_alone(env: StackEnv) -> None:
    endpoint_id = env.http.get(f"/api/2.0/serving-endpoints/{NAME}").json()["id"]
    hand = {"user_name": "ana@example.com", "permission_level": "CAN_MANAGE"}
    path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
    env.http.patch(path, json={"access_control_list": [hand]}).raise_for_status()
    before = _acl(env)
    env.edit(NAME, permissions=None, tags={"acl": "unmanaged"})
    env.up(refresh=True)
    assert _acl(env) == before
    tags = {t["key"]: t["value"] for t in env.live(NAME)["tags"]}  # type: ignore[index]
    assert tags["acl"] == "unmanaged"


def test_a_replace_sets_the_declared_acl_on_the_new_id(env: StackEnv) -> None:
    """A replace (``description`` has no update API) deletes and creates: the endpoint
    gets a new id, and the declared ACL must be set on that one."""
    old_id = env.http.get(f"/api/2.0/serving-endpoints/{NAME}").json()["id"]
    env.edit(NAME, permissions=GRANTS, description="replaced")
    assert env.changes(env.up(refresh=True)).get("replace") == 1
    assert env.http.get(f"/api/2.0/serving-endpoints/{NAME}").json()["id"] != old_id
    assert _acl(env) == {
        env.plane.settings.user_name: "CAN_MANAGE",
        "ana@example.com": "CAN_QUERY",
        SP: "CAN_QUERY",
    }


def test_an_empty_list_leaves_only_the_creator(env: StackEnv) -> None:
    env.edit(NAME, permissions=[])
    env.up(refresh=True)
    assert _acl(env) == {env.plane.settings.user_name: "CAN_MANAGE"}


def test_naming_the_creator_below_can_manage_stops_up_and_names_the_file(env: StackEnv) -> None:
    me = env.plane.settings.user_name
    env.edit(NAME, permissions=[{"level": "CAN_QUERY", "user_name": me}])
    with pytest.raises(auto.CommandError) as caught:
        env.up(refresh=True)
    text = str(caught.value)
    assert f"{NAME}.yaml" in text and "CAN_MANAGE" in text
    assert "Traceback" not in text
    assert _acl(env) == {me: "CAN_MANAGE"}
    env.edit(NAME, permissions=[])
    env.up(refresh=True)
