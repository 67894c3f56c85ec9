"""What ``__main__.py`` runs under Pulumi: load, validate, overlay, declare, export.

Stack config (``pulumi config set servingops:<key>``): ``endpoints`` (folder; an empty
folder is refused unless ``allowEmpty``),
``overlay`` (a per-stack YAML file: endpoint name → keys merged over the file),
``allowPlaintext``, ``deadlineSeconds``, ``adopt`` (take over endpoints made by hand;
default false), ``allowWorkspaceChange`` (move the stack to another workspace), and
the control-plane settings
``host``, ``token`` (secret), ``clientId``, ``clientSecret`` (secret); without them
the standard ``DATABRICKS_*`` environment is used.
"""

from __future__ import annotations

from typing import Any

import pulumi

from providers import validated
from providers.endpoint import EndpointProvider, ServingEndpoint
from providers.workspace import WorkspaceBinding
from servingops.diagnostics import format_text
from servingops.loader import LoadResult, check_document, find_files, load_endpoints
from servingops.model import EndpointSpec
from servingops.model.pulumi_inputs import to_inputs
from servingops.overlay import apply_overlay, load_overlay
from servingops.yamlsrc import parse_yaml


def declare_endpoints() -> None:
    """Declare every endpoint of the configured folder; stop with file:line on bad input."""
    cfg = pulumi.Config("servingops")
    specs = _load(cfg)
    provider = EndpointProvider(
        deadline_seconds=cfg.get_float("deadlineSeconds"),
        adopt=cfg.get_bool("adopt") is True,
        allow_workspace_change=cfg.get_bool("allowWorkspaceChange") is True,
    )
    binding = WorkspaceBinding("workspace", allow_change=provider.allow_workspace_change)
    exports: dict[str, Any] = {}
    for spec in specs:
        exports[spec.name] = _declare(spec, provider, binding)
    pulumi.export("workspace", binding.workspace_id)
    pulumi.export("endpoints", exports)


def _load(cfg: pulumi.Config) -> list[EndpointSpec]:
    allow = cfg.get_bool("allowPlaintext") or False
    folder = cfg.get("endpoints") or "endpoints"
    result = load_validated(folder, allow_plaintext=allow)
    refuse_empty(result.report.files, folder, allow_empty=cfg.get_bool("allowEmpty") or False)
    for warning in result.report.warnings:
        pulumi.log.warn(f"{warning.file}:{warning.line}:{warning.col}: {warning.message}")
    if not result.ok:
        raise pulumi.RunError("invalid endpoint files:\n" + format_text(result.report))
    overlay_file = cfg.get("overlay")
    if not overlay_file:
        return result.specs
    return [_overlaid(spec, overlay_file, allow) for spec in result.specs]


def load_validated(folder: str, *, allow_plaintext: bool) -> LoadResult:
    """``load_endpoints`` over ``folder``, validated only when its files changed.

    Both engine phases of an ``up`` run the program; when the same files (paths and
    bytes) under the same code, schema and catalogue were found clean before
    (``providers.validated``), they are parsed but not validated again. Files with any
    finding are always validated, so their findings are always shown.
    """
    files, problems = find_files([folder])
    key = None if problems else validated.files_key(files, allow_plaintext=allow_plaintext)
    if validated.is_clean(key):
        result = LoadResult()
        result.report.files = len(files)
        result.specs = [
            EndpointSpec.from_mapping(parse_yaml(f.read_text("utf-8")).data, str(f)) for f in files
        ]
        return result
    result = load_endpoints([folder], allow_plaintext=allow_plaintext)
    if result.ok and not result.report.warnings:
        validated.mark_clean(key)
    return result


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
        lines = "\n".join(f"  {d.json_path}: {d.message}" for d in problems)
        raise pulumi.RunError(f"{overlay_file}: overlay for '{spec.name}' is invalid:\n{lines}")
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
