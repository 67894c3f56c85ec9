"""The engine floor: a Pulumi dynamic resource that does no work (bench only).

Same shape as ours — a provider class in an importable module (pickled by reference),
one resource per endpoint file with the file's mapping as its input — but every method
returns at once: what is left is the cost of Pulumi itself.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class NoOpProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["name"]), props)


class NoOp(Resource, module="bench", name="NoOp"):
    def __init__(self, name: str, spec: dict[str, Any], source: str) -> None:
        props = {"name": name, "spec": spec, "source": source}
        super().__init__(NoOpProvider(), name, props)
