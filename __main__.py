"""The Pulumi program: one ServingEndpoint per file in endpoints/ (providers.program)."""

from providers.program import declare_endpoints

declare_endpoints()
