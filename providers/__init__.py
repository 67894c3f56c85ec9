"""Pulumi-facing code: the dynamic provider, the program, and the engine settings.

``endpoint`` holds the ServingEndpoint dynamic provider and its resource class;
``program`` is what ``__main__.py`` runs under Pulumi; ``engine`` finds the Pulumi CLI
and its offline settings (``python -m providers.engine``); ``probe`` proves the engine
path end to end. The core (``servingops``) never imports this package.

This package is imported by the Pulumi dynamic-provider process; importing it must
have no side effects (pulumi/pulumi#7453).
"""
