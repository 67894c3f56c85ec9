"""The JSON Schemas servingops ships (package data, read with ``importlib.resources``):
``endpoint.schema.json`` (an endpoint file) and ``policy.schema.json`` (a stack policy)."""
