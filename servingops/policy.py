"""Policy per stack: what a stack allows, checked against the typed endpoints.

A policy is a small YAML file (``policies/prod.yaml``) checked against
``schemas/policy.schema.json``; every key is optional and a key left out places no
limit::

    name: prod
    allowed_tiers: [external, provisioned, pay-per-token]
    allowed_providers: [openai, anthropic]
    allowed_models: ["gpt-4o*", "claude-*", "system.ai.*", "databricks-*"]
    required_gateway: [usage_tracking_config, rate_limits]
    forbid_plaintext: true
    require_scale_to_zero: false
    max_provisioned_throughput: 19000   # tokens/s
    max_model_units: 50
    max_workload_size: Medium
    required_tags: [team]
    waivers:
      - {endpoints: [gte-embeddings], rules: [require_scale_to_zero], reason: "…"}

``load_policy`` reads one (problems in the policy file are findings at *its* lines);
``check_policy`` evaluates it on ``EndpointSpec`` values and returns findings at the
endpoint file's line (rule ``policy/<key>``), so ``servingops validate --policy`` and the
Pulumi program (stack config ``servingops:policy``) report them like every other rule.
The source of each rule is the user ask "policy per environment" (peers-and-user-asks.md
§9: prod needs rate limits and usage tracking, dev scales to zero, approved providers and
tiers only, no plaintext keys).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from jsonschema import Draft202012Validator

from servingops.diagnostics import ERROR, Diagnostic, json_path
from servingops.model.endpoint import EndpointSpec, ServedEntity
from servingops.model.fields import registry
from servingops.model.kinds import Tier
from servingops.schema import check_against
from servingops.schemafile import load_policy_schema
from servingops.yamlsrc import Path as YamlPath
from servingops.yamlsrc import Position, YamlDoc, YamlProblem, parse_yaml

__all__ = ["WORKLOAD_SIZES", "Policy", "Waiver", "apply_policy", "check_policy", "load_policy"]

WORKLOAD_SIZES = ("Small", "Medium", "Large")
"""``workload_size`` values in increasing order (control-plane-api.md, served entity)."""

T = TypeVar("T")
_START = Position(1, 1)
_ENABLED_SECTIONS = ("usage_tracking_config", "inference_table_config", "fallback_config")
_DIRECTIONS = ("input", "output")
_WANTED = {"rate_limits": "a non-empty section", "guardrails": "a guardrail that is on"}
_SHAPE_HINT = (
    "a policy is a mapping of optional keys (name, allowed_tiers, forbid_plaintext, …);"
    " see schemas/policy.schema.json"
)


@dataclass(frozen=True)
class Waiver:
    """An accepted exception: ``rules`` are not applied to endpoints matching ``endpoints``."""

    endpoints: tuple[str, ...]
    rules: tuple[str, ...]
    reason: str

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Waiver:
        """From one item of the policy's ``waivers`` list."""
        return cls(tuple(raw["endpoints"]), tuple(raw["rules"]), str(raw["reason"]))

    def covers(self, endpoint: str, rule: str) -> bool:
        """True when this waiver names ``rule`` and a pattern matches ``endpoint``."""
        return rule in self.rules and any(fnmatch.fnmatchcase(endpoint, p) for p in self.endpoints)


@dataclass(frozen=True)
class Policy:
    """One loaded stack policy; ``None``/empty on a limit means "no limit"."""

    name: str
    file: str
    allowed_tiers: tuple[Tier, ...] | None = None
    allowed_providers: tuple[str, ...] | None = None
    allowed_models: tuple[str, ...] | None = None
    required_gateway: tuple[str, ...] = ()
    forbid_plaintext: bool = False
    require_scale_to_zero: bool = False
    max_provisioned_throughput: int | None = None
    max_model_units: int | None = None
    max_workload_size: str | None = None
    required_tags: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()

    def waived(self, endpoint: str, rule: str) -> bool:
        """True when a waiver exempts ``endpoint`` from the policy key ``rule``."""
        return any(w.covers(endpoint, rule) for w in self.waivers)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], file: str) -> Policy:
        """Build from a mapping that passed ``policy.schema.json``."""

        return cls(
            name=str(raw.get("name") or Path(file).stem),
            file=file,
            allowed_tiers=_optional_tuple(raw, "allowed_tiers", Tier),
            allowed_providers=_optional_tuple(raw, "allowed_providers", str),
            allowed_models=_optional_tuple(raw, "allowed_models", str),
            required_gateway=tuple(raw.get("required_gateway") or ()),
            forbid_plaintext=bool(raw.get("forbid_plaintext", False)),
            require_scale_to_zero=bool(raw.get("require_scale_to_zero", False)),
            max_provisioned_throughput=raw.get("max_provisioned_throughput"),
            max_model_units=raw.get("max_model_units"),
            max_workload_size=raw.get("max_workload_size"),
            required_tags=tuple(raw.get("required_tags") or ()),
            waivers=tuple(Waiver.from_mapping(w) for w in raw.get("waivers") or ()),
        )


def _optional_tuple(
    raw: Mapping[str, Any], key: str, kind: Callable[[Any], T]
) -> tuple[T, ...] | None:
    """``raw[key]`` as a tuple of ``kind`` when the key is set (a limit), else None (no limit)."""
    return tuple(kind(v) for v in raw[key]) if key in raw else None


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_policy_schema())


def load_policy(file: str | Path) -> tuple[Policy | None, list[Diagnostic]]:
    """Read and check a policy file: ``(policy, [])``, or ``(None, findings)`` placed at the
    policy file's own lines (unreadable file, YAML syntax, schema violations)."""
    name = str(file)
    try:
        doc = parse_yaml(Path(file).read_text("utf-8"), empty_hint=_SHAPE_HINT)
    except YamlProblem as err:
        return None, [_policy_problem(name, err.message, err.hint, err.pos)]
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        hint = "check the path given to --policy or servingops:policy"
        return None, [_policy_problem(name, f"cannot read policy file: {reason}", hint)]
    found = [_as_policy_rule(d) for d in check_against(_validator(), doc, name)]
    found = found or _blank_reasons(doc, name)
    if found:
        return None, found
    return Policy.from_mapping(doc.data, name), []


def _blank_reasons(doc: YamlDoc, file: str) -> list[Diagnostic]:
    """Waivers whose ``reason`` is only blanks: the schema's ``minLength`` lets them by."""
    out = []
    for index, waiver in enumerate(doc.data.get("waivers") or ()):
        if not str(waiver["reason"]).strip():
            path: YamlPath = ("waivers", index, "reason")
            pos = doc.where(path)
            out.append(
                Diagnostic(
                    file=file,
                    line=pos.line,
                    col=pos.col,
                    severity=ERROR,
                    message="a waiver's 'reason' is blank",
                    rule="policy-file/waiver-reason",
                    json_path=json_path(path),
                    hint="write why the exception is accepted, for reviewers",
                )
            )
    return out


def _policy_problem(file: str, message: str, hint: str, pos: Position = _START) -> Diagnostic:
    return Diagnostic(file, pos.line, pos.col, ERROR, message, "policy-file", "$", hint)


def _as_policy_rule(d: Diagnostic) -> Diagnostic:
    """A schema finding as a ``policy-file/...`` one, with a hint about policies (the
    schema renderer's hint for a root that is not a mapping speaks of endpoint files)."""
    hint = d.hint or "see schemas/policy.schema.json for the keys a policy takes"
    if d.json_path == "$" and d.rule == "schema/type":
        hint = _SHAPE_HINT
    return Diagnostic(
        d.file, d.line, d.col, d.severity, d.message, f"policy-file/{d.rule}", d.json_path, hint
    )


# --- evaluating ------------------------------------------------------------------------

Violation = tuple[YamlPath, str, str, str]
"""(path in the endpoint file, rule key, message, hint)."""


def check_policy(
    policy: Policy, specs: list[EndpointSpec], overlay_file: str | Path | None = None
) -> list[Diagnostic]:
    """Every violation of ``policy`` by ``specs``, at the line of each endpoint's file
    (``spec.source``; line 1 when the file cannot be read again) — or, for ``specs``
    that ``overlay_file`` (the stack's ``servingops:overlay``) was merged into, at the
    overlay's line where the overlay set the offending value."""
    overlay = (str(overlay_file), _positions(str(overlay_file))) if overlay_file else None
    out: list[Diagnostic] = []
    for spec in specs:
        doc = _positions(spec.source)
        for path, key, message, hint in _violations(policy, spec):
            if policy.waived(spec.name, key):
                continue
            file, pos = _locate(spec, path, doc, overlay)
            out.append(
                Diagnostic(
                    file=file,
                    line=pos.line,
                    col=pos.col,
                    severity=ERROR,
                    message=f"policy '{policy.name}': {message}",
                    rule=f"policy/{key}",
                    json_path=json_path(path),
                    hint=hint,
                )
            )
    return out


def apply_policy(
    file: str | Path, specs: list[EndpointSpec], overlay_file: str | Path | None = None
) -> list[Diagnostic]:
    """Load the policy in ``file`` and check ``specs`` (overlaid with ``overlay_file``, if
    given) against it: the policy file's own problems when it is unusable, else every
    violation (both as findings)."""
    policy, problems = load_policy(file)
    return problems if policy is None else check_policy(policy, specs, overlay_file)


def _positions(source: str) -> YamlDoc:
    """Where the keys of an endpoint file are (an empty map when it cannot be re-read)."""
    try:
        return parse_yaml(Path(source).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, YamlProblem):
        return YamlDoc(data=None)


def _locate(
    spec: EndpointSpec, path: YamlPath, doc: YamlDoc, overlay: tuple[str, YamlDoc] | None
) -> tuple[str, Position]:
    """The file and position to blame for the value at ``path``: the overlay's entry for
    the endpoint when it replaced a value on the way to ``path`` (overlays merge mappings
    and replace anything else, see ``servingops.overlay``), else the endpoint file."""
    if overlay is not None:
        file, over = overlay
        for depth in range(1, len(path) + 1):
            sub = (spec.name, *path[:depth])
            if sub not in over.keys:
                break
            merged = isinstance(_value_at(over.data, sub), dict) and isinstance(
                _value_at(doc.data, path[:depth]), dict
            )
            if not merged:
                return file, _place(over, (spec.name, *path))
    return spec.source or spec.name, _place(doc, path)


def _value_at(data: Any, path: YamlPath) -> Any:
    """The value at ``path`` in parsed YAML ``data`` (None where there is none)."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _place(doc: YamlDoc, path: YamlPath) -> Position:
    """The value at ``path``; for a key the file leaves out, its nearest present parent key
    (``ai_gateway:`` for a missing ``ai_gateway.rate_limits``), else the document start."""
    if path in doc.values:
        return doc.values[path]
    for depth in range(len(path) - 1, 0, -1):
        if path[:depth] in doc.keys:
            return doc.keys[path[:depth]]
    return doc.where(())


def _violations(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    yield from _tier(policy, spec)
    if spec.tier is Tier.PAY_PER_TOKEN:
        yield from _model(policy, ("name",), spec.name)
        return
    yield from _gateway(policy, spec)
    yield from _tags(policy, spec)
    for index, entity in enumerate(spec.served_entities):
        yield from _entity(policy, ("served_entities", index), entity)


def _tier(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    allowed = policy.allowed_tiers
    if allowed is not None and spec.tier not in allowed:
        hint = f"allowed tiers: {', '.join(t.value for t in allowed)}"
        yield ("tier",), "allowed_tiers", f"tier '{spec.tier.value}' is not allowed", hint


def _model(policy: Policy, path: YamlPath, model: str) -> Iterator[Violation]:
    patterns = policy.allowed_models
    if patterns is not None and not any(fnmatch.fnmatchcase(model, p) for p in patterns):
        hint = f"allowed models: {', '.join(patterns)}"
        yield path, "allowed_models", f"model '{model}' matches no allowed pattern", hint


def _gateway(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    gateway = spec.ai_gateway
    for section in policy.required_gateway:
        value = gateway.section(section) if gateway is not None else None
        if _section_on(section, value):
            continue
        what = _WANTED.get(section, "an enabled section")
        yield (
            ("ai_gateway", section),
            "required_gateway",
            f"ai_gateway.{section} is required ({what})",
            _gateway_hint(section),
        )


def _section_on(section: str, value: Any) -> bool:
    """True when a required gateway section does something: ``enabled: true``, at least
    one rate limit, or a guardrail that is on (see ``_guards``)."""
    if section in _ENABLED_SECTIONS:
        return isinstance(value, Mapping) and value.get("enabled") is True
    if section == "guardrails":
        return isinstance(value, Mapping) and any(_guards(value.get(d)) for d in _DIRECTIONS)
    return bool(value)


def _guards(params: Any) -> bool:
    """True when one direction's guardrail parameters turn something on: ``safety: true``,
    ``pii.behavior`` BLOCK or MASK (NONE is off), or keywords or topics listed."""
    if not isinstance(params, Mapping):
        return False
    pii = params.get("pii")
    return (
        params.get("safety") is True
        or (isinstance(pii, Mapping) and pii.get("behavior") in ("BLOCK", "MASK"))
        or bool(params.get("invalid_keywords"))
        or bool(params.get("valid_topics"))
    )


def _gateway_hint(section: str) -> str:
    examples = {
        "usage_tracking_config": "usage_tracking_config: {enabled: true}",
        "rate_limits": "rate_limits: [{key: user, calls: 100, renewal_period: minute}]",
        "fallback_config": "fallback_config: {enabled: true}",
        "guardrails": "guardrails: {input: {safety: true}}",
        "inference_table_config": "inference_table_config: {enabled: true, catalog_name: …}",
    }
    return f"add under ai_gateway: {examples[section]}"


def _tags(policy: Policy, spec: EndpointSpec) -> Iterator[Violation]:
    tags = spec.tags or {}
    for key in policy.required_tags:
        if key not in tags:
            hint = f"add it: tags: {{{key}: …}}"
            yield ("tags",), "required_tags", f"tag '{key}' is required", hint


def _entity(policy: Policy, path: YamlPath, entity: ServedEntity) -> Iterator[Violation]:
    ext = entity.external_model
    if ext is not None:
        yield from _provider(
            policy, (*path, "external_model", "provider"), str(ext.get("provider"))
        )
        yield from _model(policy, (*path, "external_model", "name"), str(ext.get("name")))
        if policy.forbid_plaintext:
            yield from _plaintext(policy, path, entity)
        return
    if "entity_name" in entity.fields:
        yield from _model(policy, (*path, "entity_name"), str(entity.fields["entity_name"]))
    yield from _sizing(policy, path, entity.fields)


def _provider(policy: Policy, path: YamlPath, provider: str) -> Iterator[Violation]:
    allowed = policy.allowed_providers
    if allowed is not None and provider not in allowed:
        hint = f"allowed providers: {', '.join(allowed)}"
        yield path, "allowed_providers", f"provider '{provider}' is not allowed", hint


def _plaintext(policy: Policy, path: YamlPath, entity: ServedEntity) -> Iterator[Violation]:
    """Plaintext credentials, found with the schema's field registry (value never shown)."""
    for sub, _value in _leaves(entity.fields, path):
        if registry().is_plaintext_secret(sub):
            reference = str(sub[-1]).removesuffix("_plaintext")
            hint = f"use '{reference}': \"{{{{secrets/<scope>/<key>}}}}\""
            message = f"plaintext credential '{sub[-1]}' is forbidden"
            yield sub, "forbid_plaintext", message, hint


def _leaves(value: Any, path: YamlPath) -> Iterator[tuple[YamlPath, Any]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _leaves(sub, (*path, key))
    elif isinstance(value, list | tuple):
        for index, sub in enumerate(value):
            yield from _leaves(sub, (*path, index))
    else:
        yield path, value


def _sizing(policy: Policy, path: YamlPath, fields: Mapping[str, Any]) -> Iterator[Violation]:
    if policy.require_scale_to_zero and fields.get("scale_to_zero_enabled") is not True:
        hint = "set scale_to_zero_enabled: true (with min_provisioned_throughput: 0)"
        if "provisioned_model_units" in fields:
            hint = "size it with min/max_provisioned_throughput and scale_to_zero_enabled: true"
        at = (*path, "scale_to_zero_enabled") if "scale_to_zero_enabled" in fields else path
        yield at, "require_scale_to_zero", "scale-to-zero is required", hint
    yield from _at_most(
        policy.max_provisioned_throughput, path, fields, "max_provisioned_throughput", "tokens/s"
    )
    yield from _at_most(
        policy.max_model_units, path, fields, "provisioned_model_units", "model units"
    )
    yield from _workload(policy, path, fields.get("workload_size"))


def _at_most(
    limit: int | None, path: YamlPath, fields: Mapping[str, Any], key: str, unit: str
) -> Iterator[Violation]:
    value = fields.get(key)
    if limit is not None and isinstance(value, int) and value > limit:
        rule = "max_model_units" if key == "provisioned_model_units" else key
        message = f"{key} {value} is above the limit of {limit} {unit}"
        yield (*path, key), rule, message, f"lower it to {limit} or less"


def _workload(policy: Policy, path: YamlPath, size: Any) -> Iterator[Violation]:
    limit = policy.max_workload_size
    if limit is None or size is None:
        return
    allowed = WORKLOAD_SIZES[: WORKLOAD_SIZES.index(limit) + 1]
    if size not in allowed:
        hint = f"allowed sizes: {', '.join(allowed)}"
        yield (
            (*path, "workload_size"),
            "max_workload_size",
            f"workload_size '{size}' is above {limit}",
            hint,
        )
