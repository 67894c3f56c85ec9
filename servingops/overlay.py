"""Per-stack overlays: ``overlays/prod.yaml`` maps endpoint names to keys merged over files.

Mappings merge recursively; any other value (lists included) replaces the file's.
A ``null`` removes the key. Example::

    support-chat:
      ai_gateway:
        rate_limits: [{key: user, calls: 50, renewal_period: minute}]
      tags: {env: prod}
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from servingops.errors import ConfigError
from servingops.escape import for_text
from servingops.sourcefile import read_source
from servingops.yamlsrc import YamlProblem, parse_yaml


def load_overlay(path: str) -> dict[str, Any]:
    """Read an overlay file: a mapping of endpoint name to a mapping of overrides."""
    try:
        data = parse_yaml(read_source(Path(path))).data
    except YamlProblem as err:
        where = f"{for_text(path)}:{err.pos.line}:{err.pos.col}"
        message = err.message.replace("cannot read file", "cannot read overlay", 1)
        raise ConfigError(f"{where}: {for_text(message)}", hint=for_text(err.hint)) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(
            f"{for_text(path)}: an overlay maps endpoint names to mappings of keys",
            hint="e.g. support-chat: {tags: {env: prod}}",
        )
    return data


def apply_overlay(raw: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """``raw`` with ``override`` merged over it (a copy; neither input changes)."""
    out = copy.deepcopy(raw)
    for key, value in (override or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = apply_overlay(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
