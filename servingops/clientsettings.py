"""How patient the control-plane client is: timeouts and the retry budget, all in seconds.

``ClientSettings`` holds every knob of ``ControlPlaneClient``. Two readers fill it from
text: ``client_settings(config)`` from Pulumi stack config (``servingops:httpTimeoutSeconds``,
``servingops:connectTimeoutSeconds``, ``servingops:retryBudgetSeconds``) and
``ClientSettings.from_env(env)`` from ``SERVINGOPS_HTTP_TIMEOUT``,
``SERVINGOPS_CONNECT_TIMEOUT`` and ``SERVINGOPS_RETRY_BUDGET`` (the CLI). A message that
suggests raising a limit names the knob with ``knob_names``, so the advice is actionable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from servingops.errors import ConfigError

__all__ = ["KNOBS", "ClientSettings", "Knob", "client_settings", "knob_names"]

STACK_NAMESPACE = "servingops"


@dataclass(frozen=True)
class Knob:
    """One setting users can change: its ``ClientSettings`` field, stack key and env var."""

    field: str
    """The ``ClientSettings`` attribute."""
    stack_key: str
    """The Pulumi stack config key, without the ``servingops:`` namespace."""
    env_var: str
    """The environment variable the CLI reads."""
    minimum: float
    """The smallest allowed value, in seconds (timeouts must be positive)."""


KNOBS: tuple[Knob, ...] = (
    Knob("timeout_s", "httpTimeoutSeconds", "SERVINGOPS_HTTP_TIMEOUT", 0.001),
    Knob("connect_timeout_s", "connectTimeoutSeconds", "SERVINGOPS_CONNECT_TIMEOUT", 0.001),
    Knob("retry_budget_s", "retryBudgetSeconds", "SERVINGOPS_RETRY_BUDGET", 0.0),
)
"""The settings users can change from stack config or the environment."""


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retry limits of ``ControlPlaneClient``; every duration is in seconds."""

    timeout_s: float = 60.0
    """How long one request may wait for its answer (read, write and pool timeouts)."""
    connect_timeout_s: float = 10.0
    """How long to wait for a connection, and for the first answer of a host not heard
    from yet on a GET (so a silent host fails in seconds, not minutes)."""
    retry_budget_s: float = 300.0
    """How long to keep retrying 429/5xx answers and connection failures, measured from a
    call's first failure; 0 means no retries."""
    conflict_wait_s: float = 600.0
    """How long a write waits out a 409 "another update is in progress"."""
    connect_tries: int = 2
    """Tries before giving up on a host that has never answered (connect errors, timeouts)."""
    backoff_cap_s: float = 10.0
    """The longest sleep between retries when the server gives no ``Retry-After``."""
    retry_after_cap_s: float = 60.0
    """The longest ``Retry-After`` honoured; a longer one is shortened to this."""
    max_retries: int | None = None
    """An optional cap on retries per call on top of the budget (0 turns retries off)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientSettings:
        """Settings from ``SERVINGOPS_*`` variables (``os.environ`` by default).

        Unset or empty variables keep the defaults. Raises ``ConfigError`` naming the
        variable when a value is not a number of seconds in range.
        """
        env = os.environ if env is None else env
        return _read(cls(), {knob: env.get(knob.env_var) for knob in KNOBS}, "env")


def client_settings(
    config: Mapping[str, object], base: ClientSettings | None = None
) -> ClientSettings:
    """Settings from Pulumi stack config: ``httpTimeoutSeconds`` and the other ``KNOBS``.

    Keys may carry the ``servingops:`` namespace or not; absent or empty keys keep the
    values of ``base`` (the defaults). Values are seconds, as text or numbers. Raises
    ``ConfigError`` naming the key and the bad value (not a number, negative, zero
    timeout, infinite).
    """
    found = {knob: _lookup(config, knob.stack_key) for knob in KNOBS}
    return _read(base or ClientSettings(), found, "stack")


def knob_names(field: str) -> str:
    """``servingops:<key> / SERVINGOPS_<VAR>``: how users change the setting ``field``."""
    knob = next(k for k in KNOBS if k.field == field)
    return f"{STACK_NAMESPACE}:{knob.stack_key} / {knob.env_var}"


def _lookup(config: Mapping[str, object], key: str) -> object:
    value = config.get(f"{STACK_NAMESPACE}:{key}")
    return config.get(key) if value is None else value


def _read(base: ClientSettings, found: Mapping[Knob, object], where: str) -> ClientSettings:
    """``base`` with every knob present in ``found`` parsed; ``where`` is env or stack."""
    values: dict[str, float] = {}
    for knob, raw in found.items():
        if raw is not None and str(raw).strip():
            name = knob.env_var if where == "env" else f"{STACK_NAMESPACE}:{knob.stack_key}"
            values[knob.field] = _seconds(name, raw, knob.minimum)
    return replace(
        base,
        timeout_s=values.get("timeout_s", base.timeout_s),
        connect_timeout_s=values.get("connect_timeout_s", base.connect_timeout_s),
        retry_budget_s=values.get("retry_budget_s", base.retry_budget_s),
    )


def _seconds(name: str, raw: object, minimum: float) -> float:
    """``raw`` as a finite number of seconds >= ``minimum``; ``ConfigError`` otherwise."""
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < minimum:
        least = "greater than 0" if minimum > 0 else "0 or more"
        example = f"pulumi config set {name} 120" if ":" in name else f"export {name}=120"
        raise ConfigError(
            f"{name} must be a number of seconds, {least}; got {str(raw)!r}",
            hint=f"set a plain number of seconds, e.g. `{example}`",
        )
    return value
