"""What ``__main__.py`` runs under Pulumi: load, validate, overlay, declare, export.

Stack config (``pulumi config set servingops:<key>``): ``endpoints`` (folder; an empty
folder is refused unless ``allowEmpty``),
``overlay`` (a per-stack YAML file: endpoint name → keys merged over the file),
``policy`` (a stack policy file, e.g. ``policies/prod.yaml``: every violation stops the
program with the endpoint file's line; see ``servingops.policy``),
``allowPlaintext``, ``deadlineSeconds``, ``adopt`` (take over endpoints made by hand;
default false), ``allowWorkspaceChange`` (move the stack to another workspace), and
the control-plane settings
``host``, ``token`` (secret), ``clientId``, ``clientSecret`` (secret); without them
the standard ``DATABRICKS_*`` environment is used.

A route-optimized endpoint's smoke check needs OAuth M2M (its data plane refuses a
personal access token): with a token, the program warns once per such endpoint that
its check will be skipped (the provider runs without an engine connection to log).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from providers import validated
from providers.endpoint import EndpointProvider, ServingEndpoint
from providers.workspace import WorkspaceBinding
from servingops.diagnostics import Report, format_text
from servingops.errors import ToolError
from servingops.escape import for_text, for_text_file
from servingops.loader import LoadResult, check_document, load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs
from servingops.overlay import apply_overlay, load_overlay
from servingops.policy import apply_policy
from servingops.sourcefile import find_sources, read_source
from servingops.yamlsrc import YamlProblem, parse_yaml


def declare_endpoints() -> None:
    """Declare every endpoint of the configured folder; stop with file:line on bad input."""
    cfg = pulumi.Config("servingops")
    specs = enforce_policy(cfg.get("policy"), _load(cfg), cfg.get("overlay"))
    provider = EndpointProvider(
        deadline_seconds=cfg.get_float("deadlineSeconds"),
        adopt=cfg.get_bool("adopt") is True,
        allow_workspace_change=cfg.get_bool("allowWorkspaceChange") is True,
    )
    for warning in smoke_skip_warnings(specs, _credential_kind()):
        pulumi.log.warn(warning)
    binding = WorkspaceBinding("workspace", allow_change=provider.allow_workspace_change)
    exports: dict[str, Any] = {}
    for spec in specs:
        exports[spec.name] = _declare(spec, provider, binding)
    pulumi.export("workspace", binding.workspace_id)
    pulumi.export("endpoints", exports)


def smoke_skip_warnings(specs: list[EndpointSpec], credential_kind: str | None) -> list[str]:
    """One warning per route-optimized endpoint whose smoke check will be skipped because
    the stack's credential (``Credentials.kind``) is a personal access token (``pat``)."""
    if credential_kind != "pat":
        return []
    from servingops.auth import DATA_PLANE_HINT  # httpx: loaded only when it is needed

    return [
        f"{for_text(spec.source or spec.name)}: endpoint '{for_text(spec.name)}' is "
        "route-optimized: its smoke check will be skipped with a personal access token "
        f"({DATA_PLANE_HINT}, or servingops:clientId/clientSecret)"
        for spec in specs
        if spec.route_optimized and spec.smoke.enabled and not spec.switched_off
    ]


def _credential_kind() -> str | None:
    """``pat`` or ``oauth-m2m``: what the provider will authenticate with (stack config,
    else ``DATABRICKS_*``), read without the secret values' warnings; None if unknown."""

    from servingops.auth import resolve_credentials  # httpx: loaded only when it is needed

    def get(key: str) -> str | None:
        return pulumi.runtime.get_config(f"servingops:{key}") or None

    try:
        creds = resolve_credentials(get("host"), get("token"), get("clientId"), get("clientSecret"))
    except ToolError:
        return None  # the provider reports missing credentials itself
    return creds.kind


def _load(cfg: pulumi.Config) -> list[EndpointSpec]:
    allow = cfg.get_bool("allowPlaintext") or False
    folder = cfg.get("endpoints") or "endpoints"
    result = load_validated(folder, allow_plaintext=allow)
    refuse_empty(result.report.files, folder, allow_empty=cfg.get_bool("allowEmpty") or False)
    for warning in result.report.warnings:
        where = f"{for_text_file(warning.file)}:{warning.line}:{warning.col}"
        pulumi.log.warn(f"{where}: {for_text(warning.message)}")
    if not result.ok:
        raise pulumi.RunError("invalid endpoint files:\n" + format_text(result.report))
    overlay_file = cfg.get("overlay")
    if not overlay_file:
        return result.specs
    return [_overlaid(spec, overlay_file, allow) for spec in result.specs]


def enforce_policy(
    policy_file: str | None, specs: list[EndpointSpec], overlay_file: str | None = None
) -> list[EndpointSpec]:
    """``specs`` unchanged when they pass the stack's policy (none set: no check); else stop
    with every violation at its endpoint file's line — the overlay's line where the
    stack's overlay set the value — or the policy file's own problems."""
    if not policy_file:
        return specs
    found = apply_policy(policy_file, specs, overlay_file or None)
    report = Report(diagnostics=found, files=len(specs))
    if report.errors:
        raise pulumi.RunError(f"policy {policy_file} is not met:\n" + format_text(report))
    return specs


def load_validated(folder: str, *, allow_plaintext: bool) -> LoadResult:
    """``load_endpoints`` over ``folder``, validated only when its files changed.

    Both engine phases of an ``up`` run the program; when the same files (paths and
    bytes) under the same code, schema and catalogue were found clean before
    (``providers.validated``), they are parsed but not validated again. Files with any
    finding are always validated, so their findings are always shown.
    """
    read = _read_all(folder)
    texts, ignored = read if read else ({}, 0)
    key = validated.texts_key(texts, allow_plaintext=allow_plaintext) if read else None
    if read and validated.is_clean(key):
        result = LoadResult()
        result.report.files, result.report.ignored = len(texts), ignored
        result.specs = [
            EndpointSpec.from_mapping(parse_yaml(text).data, str(path))
            for path, text in texts.items()
        ]
        return result
    result = load_endpoints([folder], allow_plaintext=allow_plaintext)
    if result.ok and not result.report.warnings:
        validated.mark_clean(key)
    return result


def _read_all(folder: str) -> tuple[dict[Path, str], int] | None:
    """Every endpoint file under ``folder`` read through the loader's trust boundary
    (``servingops.sourcefile``) and how many other files it ignored; None when the
    search refused or missed anything or a file cannot be read (the full load reports
    it)."""
    search = find_sources([folder])
    if search.refused or search.missing:
        return None
    try:
        return {path: read_source(path) for path in search.files}, search.ignored
    except YamlProblem:
        return None


def refuse_empty(files: int, folder: str, *, allow_empty: bool) -> None:
    """Stop when no endpoint file was found: that plan would delete every endpoint."""
    if files == 0 and not allow_empty:
        raise pulumi.RunError(
            f"no endpoint files in '{folder}': refusing to plan the deletion of every endpoint\n"
            "  hint: check servingops:endpoints; to really remove them all, "
            "`pulumi config set servingops:allowEmpty true`"
        )


def _overlaid(spec: EndpointSpec, overlay_file: str, allow: bool) -> EndpointSpec:
    raw = apply_overlay(dict(spec.raw), load_overlay(overlay_file).get(spec.name))
    problems = check_document(raw, overlay_file, allow_plaintext=allow)
    if problems:
        lines = "\n".join(f"  {for_text(d.json_path)}: {for_text(d.message)}" for d in problems)
        where = for_text(overlay_file)
        raise pulumi.RunError(f"{where}: overlay for '{spec.name}' is invalid:\n{lines}")
    return EndpointSpec.from_mapping(raw, spec.source)


def _declare(
    spec: EndpointSpec, provider: EndpointProvider, binding: WorkspaceBinding
) -> dict[str, Any]:
    clean, secrets = to_inputs(spec)
    opts = pulumi.ResourceOptions(protect=spec.protect or None, depends_on=[binding])
    res = ServingEndpoint(spec.name, clean, secrets, spec.source, provider=provider, opts=opts)
    return {
        "name": res.name,
        "endpoint_id": res.endpoint_id,
        "invocation_url": res.invocation_url,
        "config_version": res.config_version,
        "ready": res.ready,
    }
