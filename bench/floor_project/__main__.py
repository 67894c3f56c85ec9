"""The floor program: read each endpoint file, declare one no-op resource for it."""

from pathlib import Path

import pulumi
import yaml
from floor_provider import NoOp

folder = Path(pulumi.Config("servingops").require("endpoints"))
for path in sorted(folder.glob("*.yaml")):
    NoOp(path.stem, yaml.safe_load(path.read_text()), str(path))
