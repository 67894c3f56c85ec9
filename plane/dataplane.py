"""What a route-optimized endpoint's ``data_plane_info`` grants: its authorization details.

A leaf module (no plane imports): ``plane.render`` writes the details into GET answers,
``plane.auth`` reads them back in the SDK's token exchange.
"""

from __future__ import annotations

import json

QUERY_ACTION = "query_inference_endpoint"


def authorization_details(endpoint_id: str) -> str:
    """The ``data_plane_info.query_info.authorization_details`` of an endpoint: a JSON string,
    one ``workspace_permission`` on ``/serving-endpoints/<id>`` for the query action."""
    detail = {
        "type": "workspace_permission",
        "object_type": "serving-endpoints",
        "object_path": f"/serving-endpoints/{endpoint_id}",
        "actions": [QUERY_ACTION],
    }
    return json.dumps([detail], separators=(",", ":"))
