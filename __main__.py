"""The Pulumi program: one ServingEndpoint per file in endpoints/ (servingops.program)."""

from servingops.program import declare_endpoints

declare_endpoints()
