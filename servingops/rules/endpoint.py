"""Semantic checks on the endpoint as a whole: entities, traffic, tiers, gateway, smoke."""

from __future__ import annotations

import re
from typing import Any

from servingops.model.endpoint import default_entity_name
from servingops.model.fields import (
    ENV_CREDENTIAL_NAME,
    TRANSPORT_CREDENTIALS,
    URL_PASSWORD,
    is_secret_reference,
)
from servingops.model.rest import OWNER_TAG
from servingops.redact import redact_text, show_value
from servingops.rules.context import Ctx, entity_name, spaced_reference
from servingops.schemafile import load_schema


def rule_entity_names(ctx: Ctx) -> None:
    """Served-entity names (declared or defaulted) are unique within the endpoint."""
    seen: dict[str, int] = {}
    for path, entity in ctx.entities():
        name = entity_name(entity)
        if name in seen:
            ctx.error(
                (*path, "name") if "name" in entity else path,
                f"served entity name '{name}' is used twice (first at entity {seen[name]})",
                "entity-unique",
                "give each served entity its own 'name'",
            )
        seen.setdefault(name, path[-1] if isinstance(path[-1], int) else 0)


def rule_traffic(ctx: Ctx) -> None:
    """Traffic names existing entities, sums to 100, and is set when there are several."""
    traffic = ctx.data.get("traffic")
    names = {entity_name(e) for _, e in ctx.entities()}
    if traffic is None:
        if len(names) > 1:
            ctx.error(
                ("served_entities",),
                f"{len(names)} served entities need an explicit 'traffic' split",
                "traffic-required",
                "add e.g. traffic: {" + ", ".join(f"{n}: …" for n in sorted(names)) + "}",
            )
        return
    _traffic_names(ctx, traffic, names)
    total = sum(v for v in traffic.values() if isinstance(v, int))
    if total != 100:
        ctx.error(("traffic",), f"traffic must sum to 100, got {total}", "traffic-sum")


def _traffic_names(ctx: Ctx, traffic: dict[str, Any], names: set[str]) -> None:
    for name in traffic:
        if name not in names:
            ctx.error(
                ("traffic", name),
                f"traffic names '{name}', which is not a served entity",
                "traffic-names",
                f"served entities: {', '.join(sorted(names))}",
                key=True,
            )


def rule_provisioned(ctx: Ctx) -> None:
    """Provisioned entities: known model, matching task, one sizing, bands on chunk multiples."""
    for path, entity in ctx.entities():
        if "entity_name" not in entity:
            continue
        model = ctx.catalogue.foundation_models.get(entity["entity_name"])
        if model is None:
            _unknown_foundation(ctx, path, entity)
            continue
        _task_matches(ctx, path, model)
        _sizing(ctx, path, entity, int(model["throughput_chunk_size"]))
        _version_known(ctx, path, entity, model)


def _unknown_foundation(ctx: Ctx, path: tuple[Any, ...], entity: dict[str, Any]) -> None:
    name = entity["entity_name"]
    if name.startswith("system.ai."):
        ctx.warn(
            (*path, "entity_name"),
            f"'{name}' is not in the model catalogue (as of {ctx.catalogue.as_of}); new "
            "foundation models appear monthly, so its task and throughput band are unchecked",
            "foundation-model",
            "if the model is new, add it under foundation_models in "
            "servingcatalogue/models.yaml (task, throughput_chunk_size) and bump as_of; "
            "`validate --strict` makes this an error",
        )
    else:
        ctx.warn(
            (*path, "entity_name"),
            f"'{name}' is not in the catalogue; its throughput band cannot be checked",
            "foundation-model",
        )


def _task_matches(ctx: Ctx, path: tuple[Any, ...], model: dict[str, Any]) -> None:
    if model["task"] != ctx.data["task"]:
        ctx.error(
            (*path, "entity_name"),
            f"this model serves {model['task']}, but the endpoint's task is {ctx.data['task']}",
            "entity-task",
            "one task per endpoint: change 'task' or pick another model",
        )


def _sizing(ctx: Ctx, path: tuple[Any, ...], entity: dict[str, Any], chunk: int) -> None:
    band = [k for k in ("min_provisioned_throughput", "max_provisioned_throughput") if k in entity]
    units = "provisioned_model_units" in entity
    if bool(band) == units:
        ctx.error(
            path,
            "set either min/max_provisioned_throughput or provisioned_model_units (exactly one)",
            "provisioned-sizing",
        )
        return
    if units and "scale_to_zero_enabled" in entity:
        ctx.error(
            (*path, "scale_to_zero_enabled"),
            "scale_to_zero_enabled is not available with provisioned_model_units",
            "provisioned-sizing",
            key=True,
        )
    for key in band:
        _band_multiple(ctx, (*path, key), entity[key], chunk, entity["entity_name"])
    lo, hi = entity.get("min_provisioned_throughput"), entity.get("max_provisioned_throughput")
    if lo is not None and hi is not None and lo > hi:
        ctx.error(
            (*path, "min_provisioned_throughput"),
            f"min_provisioned_throughput {lo} is above max_provisioned_throughput {hi}",
            "provisioned-band",
        )


def _band_multiple(ctx: Ctx, path: tuple[Any, ...], value: int, chunk: int, model: str) -> None:
    if value % chunk:
        lower, upper = value - value % chunk, value - value % chunk + chunk
        ctx.error(
            path,
            f"'{path[-1]}' must be a multiple of {chunk} tokens/s for {model}, got {value}",
            "provisioned-band",
            f"nearest valid values: {lower} or {upper}",
        )


def _version_known(
    ctx: Ctx, path: tuple[Any, ...], entity: dict[str, Any], model: dict[str, Any]
) -> None:
    version = str(entity.get("entity_version", ""))
    if version and version not in model.get("versions", [version]):
        ctx.warn(
            (*path, "entity_version"),
            f"version '{version}' of {entity['entity_name']} is not in the catalogue",
            "foundation-version",
            f"known versions: {', '.join(model['versions'])}",
        )


def rule_retirements(ctx: Ctx) -> None:
    """Warn on retired and retiring models and pay-per-token endpoints, with their dates."""
    refs: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    if ctx.data["tier"] == "pay-per-token":
        refs.append((("name",), ctx.catalogue.pay_per_token.get(ctx.data["name"], {})))
    for path, entity in ctx.entities():
        model = ctx.catalogue.foundation_models.get(str(entity.get("entity_name")), {})
        refs.append(((*path, "entity_name"), model))
    for path, info in refs:
        _warn_retired(ctx, path, info)


def _warn_retired(ctx: Ctx, path: tuple[Any, ...], info: dict[str, Any]) -> None:
    note = f": {info['note']}" if info.get("note") else ""
    if info.get("retired"):
        ctx.warn(path, f"retired since {info['retired']}{note}", "retired-model")
    elif info.get("retiring"):
        ctx.warn(path, f"retiring on {info['retiring']}{note}", "retired-model")


def rule_pt_description(ctx: Ctx) -> None:
    """The ``/pt`` create route (model units) takes no description and no route_optimized:
    warn that they are ignored (they are unmanaged there; control-plane-api.md §2)."""
    units = any("provisioned_model_units" in e for _, e in ctx.entities())
    for key in ("description", "route_optimized"):
        if units and key in ctx.data:
            ctx.warn(
                (key,),
                f"{key} is ignored for endpoints sized in provisioned_model_units",
                "pt-description",
                f"the provisioned-throughput create route does not accept {key}",
                key=True,
            )


def rule_pay_per_token(ctx: Ctx) -> None:
    """A pay-per-token file references a known ``databricks-*`` endpoint of the same task."""
    if ctx.data["tier"] != "pay-per-token":
        return
    name = ctx.data["name"]
    known = ctx.catalogue.pay_per_token
    if name not in known:
        _unknown_pay_per_token(ctx, name, sorted(known))
    elif known[name]["task"] != ctx.data["task"]:
        ctx.error(
            ("task",),
            f"'{name}' serves {known[name]['task']}, not {ctx.data['task']}",
            "pay-per-token",
        )


def _unknown_pay_per_token(ctx: Ctx, name: str, known: list[str]) -> None:
    """A warning, not an error: new ``databricks-*`` endpoints appear monthly, like new
    foundation models (issue 10), and ``up`` checks that the endpoint exists anyway."""
    ctx.warn(
        ("name",),
        f"'{name}' is not in the catalogue's pay-per-token endpoints (as of "
        f"{ctx.catalogue.as_of}); new ones appear monthly, so its task is unchecked",
        "pay-per-token",
        "if it is new, add it under pay_per_token in servingcatalogue/models.yaml (task) and "
        "bump as_of (`up` checks that it exists); `validate --strict` makes this an error; "
        "known: " + ", ".join(known),
    )


def rule_rate_limits(ctx: Ctx) -> None:
    """Rate limits set calls or tokens; ``calls: 0`` or ``tokens: 0`` says the endpoint (or
    the limit's principal) is switched off (control-plane-api.md §5: queries get 403)."""
    limits = (ctx.data.get("ai_gateway") or {}).get("rate_limits") or []
    for i, limit in enumerate(limits):
        path = ("ai_gateway", "rate_limits", i)
        if "calls" not in limit and "tokens" not in limit:
            ctx.error(path, "a rate limit needs 'calls' or 'tokens'", "rate-limit")
        for key in ("calls", "tokens"):
            if limit.get(key) == 0:
                _warn_switched_off(ctx, (*path, key), key, limit.get("principal"))


def _warn_switched_off(ctx: Ctx, path: tuple[Any, ...], key: str, principal: Any) -> None:
    who = f"'{principal}' is" if principal else "the endpoint is"
    ctx.warn(
        path,
        f"{key}: 0 means {who} switched off: every query gets 403 PERMISSION_DENIED"
        + ("" if principal else "; the smoke check is skipped and rollback never undoes it"),
        "rate-limit-zero",
        "delete the limit for no limit; keep 0 only to switch it off on purpose",
    )


def rule_inference_table(ctx: Ctx) -> None:
    """An enabled inference table names its catalog and schema."""
    table = (ctx.data.get("ai_gateway") or {}).get("inference_table_config")
    if not isinstance(table, dict) or not table.get("enabled"):
        return
    for key in ("catalog_name", "schema_name"):
        if key not in table:
            ctx.error(
                ("ai_gateway", "inference_table_config"),
                f"an enabled inference table needs '{key}'",
                "inference-table",
            )


def rule_fallback(ctx: Ctx) -> None:
    """Fallback needs a second served entity to fall back to."""
    fallback = (ctx.data.get("ai_gateway") or {}).get("fallback_config") or {}
    if fallback.get("enabled") and len(ctx.data.get("served_entities") or []) < 2:
        ctx.warn(
            ("ai_gateway", "fallback_config", "enabled"),
            "fallback is enabled but there is only one served entity to send traffic to",
            "fallback",
        )


def rule_smoke_dimension(ctx: Ctx) -> None:
    """An expected embedding dimension matches what the catalogue says each model returns."""
    expect = ((ctx.data.get("smoke") or {}).get("expect") or {}).get("dimension")
    if expect is None or ctx.data["task"] != "llm/v1/embeddings":
        return
    for _, entity in ctx.entities():
        model = (entity.get("external_model") or {}).get("name") or entity.get("entity_name")
        dim = ctx.catalogue.embedding_dimension(str(model))
        if str(model) in ctx.catalogue.embedding_dimensions and dim != expect:
            ctx.warn(
                ("smoke", "expect", "dimension"),
                f"expect.dimension is {expect}, but {model} returns {dim}-dimensional vectors",
                "smoke-dimension",
            )


def rule_reserved_tag(ctx: Ctx) -> None:
    """``servingops-stack`` is the ownership tag servingops writes itself; a file may not set it."""
    tags = ctx.data.get("tags")
    if isinstance(tags, dict) and OWNER_TAG in tags:
        ctx.error(
            ("tags", OWNER_TAG),
            f"the tag '{OWNER_TAG}' is reserved: servingops sets it to the owning stack",
            "reserved-tag",
            "remove it from the file; to take over an endpoint another stack owns, set adopt: true",
            key=True,
        )


def rule_default_entity_names(ctx: Ctx) -> None:
    """An entity without ``name`` gets the server default, which must still be a valid name.

    The control plane derives it from ``external_model.name`` or the UC model
    (``default_entity_name``); a model id like ``org/model@v2`` gives a name the API
    refuses at apply time, so say so now (pattern and length from the schema's
    ``$defs.entity_name``).
    """
    spec = load_schema()["$defs"]["entity_name"]
    for path, entity in ctx.entities():
        if "name" in entity:
            continue
        name = default_entity_name(entity)
        if not re.fullmatch(spec["pattern"].strip("^$"), name) or len(name) > spec["maxLength"]:
            ctx.error(
                path,
                f"this entity has no 'name' and its default name {show_value(name)} "
                "is not a valid served-entity name",
                "entity-default-name",
                "set 'name' (letters, digits, '-' and '_', at most "
                f"{spec['maxLength']} characters)",
            )


CONCURRENCY_KEYS = ("min_provisioned_concurrency", "max_provisioned_concurrency")


def rule_workload_sizing(ctx: Ctx) -> None:
    """``workload_size`` and min/max_provisioned_concurrency are alternatives, not a pair.

    Source: the schema's own description of ``workload_size`` ("Do not combine with
    min/max_provisioned_concurrency"); the control plane refuses the combination.
    """
    for path, entity in ctx.entities():
        both = [k for k in CONCURRENCY_KEYS if k in entity]
        if "workload_size" in entity and both:
            ctx.error(
                (*path, "workload_size"),
                f"workload_size cannot be combined with {' and '.join(both)}",
                "workload-sizing",
                "keep either workload_size or min/max_provisioned_concurrency",
                key=True,
            )


def rule_environment_vars(ctx: Ctx) -> None:
    """A credential in ``environment_vars`` is a ``{{secrets/…}}`` reference, never plaintext.

    Environment variables are ordinary settings, shown in reviews; one whose *name* is
    credential-like (``OPENAI_API_KEY``, ``DB_PASSWORD``, ``*_TOKEN`` — the transport
    credential names of ``model.fields``, and ``ENV_CREDENTIAL_NAME``: ``HF_TOKEN``,
    ``DB_PASSWD``) or whose *value* looks like a credential (a ``dapi…`` token,
    ``Bearer …``, a PEM key — what ``redact_text`` masks — or a URL with a password)
    must hold a secret reference. The value is never echoed.
    """
    for path, entity in ctx.entities():
        env = entity.get("environment_vars")
        for name, value in env.items() if isinstance(env, dict) else ():
            spaced = spaced_reference(name, value)
            if spaced is not None:
                ctx.error((*path, "environment_vars", name), spaced[0], "env-secret", spaced[1])
                continue
            if not _plaintext_credential(name, value):
                continue
            ctx.error(
                (*path, "environment_vars", name),
                f"environment variable '{name}' holds a plaintext credential (value hidden)",
                "env-secret",
                f'use {name}: "{{{{secrets/<scope>/<key>}}}}" and store the value with '
                "`databricks secrets put-secret`",
            )


def _plaintext_credential(name: str, value: Any) -> bool:
    if not isinstance(value, str) or not value or is_secret_reference(value):
        return False
    named = TRANSPORT_CREDENTIALS.match(name) or ENV_CREDENTIAL_NAME.search(name)
    return bool(named or URL_PASSWORD.search(value)) or redact_text(value) != value
