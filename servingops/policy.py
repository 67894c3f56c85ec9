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
``check_policy`` evaluates it on ``EndpointSpec`` values (the rules are
``servingops.policyrules``) and returns findings at the endpoint file's line (rule
``policy/<key>``), so ``servingops validate --policy`` and the
Pulumi program (stack config ``servingops:policy``) report them like every other rule.
The source of each rule is the user ask "policy per environment" (peers-and-user-asks.md
§9: prod needs rate limits and usage tracking, dev scales to zero, approved providers and
tiers only, no plaintext keys).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from servingops.diagnostics import ERROR, Diagnostic, json_path
from servingops.model.endpoint import EndpointSpec
from servingops.model.kinds import Tier
from servingops.policyrules import WORKLOAD_SIZES, violations
from servingops.schemafile import load_policy_schema
from servingops.yamlsrc import Path as YamlPath
from servingops.yamlsrc import Position, YamlDoc, YamlProblem, parse_yaml

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = ["WORKLOAD_SIZES", "Policy", "Waiver", "apply_policy", "check_policy", "load_policy"]

T = TypeVar("T")
_START = Position(1, 1)
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
    from jsonschema import Draft202012Validator  # loaded only when a policy is checked

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
    from servingops.schema import check_against  # jsonschema: only when a policy is read

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
        for path, key, message, hint in violations(policy, spec):
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
