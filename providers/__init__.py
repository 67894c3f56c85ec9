"""Pulumi-facing code: the ServingEndpoint dynamic provider and its resource class.

This package is imported by the Pulumi dynamic-provider process; importing it must
have no side effects (pulumi/pulumi#7453).
"""
