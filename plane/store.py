"""The endpoint store: owns the SQL, the rules and ``reset()``; routes only call it.

Operation names follow the API (``create_endpoint``, ``update_config``...). Every
operation runs under the database lock, settles the endpoint's pending update first
(see ``lifecycle``) and returns the response body. Endpoints are ``EndpointResource``
objects (``plane.resource``) between loading and saving.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

from plane import describe, documents, lifecycle, permissions, subresources
from plane.checks import as_object, check_name, req_str
from plane.db import Database
from plane.errors import (
    EndpointAlreadyExists,
    EndpointNotFound,
    InvalidParameter,
    InvalidState,
)
from plane.principals import Directory
from plane.resource import EndpointResource, Kind, StoredConfig
from plane.seed import pay_per_token_endpoints
from plane.settings import Clock, PlaneSettings, ms
from plane.validate_config import CheckedConfig, Limits, check_config
from servingcatalogue import Catalogue, load_catalogue

T = TypeVar("T")


class EndpointStore:
    """State and rules of every serving endpoint, persisted in SQLite."""

    def __init__(
        self,
        db: Database,
        settings: PlaneSettings,
        clock: Clock,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.catalogue = catalogue or load_catalogue()
        self.rng = random.Random(settings.seed)
        self.limits = Limits(
            settings.max_entities, settings.max_name_length, settings.require_traffic_sum_100
        )
        self._seed()

    def reset(self) -> None:
        """Forget every endpoint and issued token, then re-seed the system endpoints."""
        with self.db.lock:
            self.db.clear()
            self._seed()

    def _seed(self) -> None:
        if not self.settings.seed_pay_per_token:
            return
        with self.db.lock:
            for endpoint in pay_per_token_endpoints(self.catalogue, self.clock()):
                self.db.insert(endpoint)

    # -- endpoints ---------------------------------------------------------------

    def create_endpoint(self, body: Any, principal: str) -> dict[str, Any]:
        """``POST /serving-endpoints``: validate, store IN_PROGRESS, return the endpoint."""
        body = as_object(body, "body")
        name = self._new_name(body)
        checked = self._checked(body, pt=False)
        endpoint = documents.new_endpoint(name, principal, Kind.REGULAR, body, self._now_ms())
        documents.add_regular_fields(endpoint, body, checked)
        return self._insert(endpoint, checked)

    def create_pt_endpoint(self, body: Any, principal: str) -> dict[str, Any]:
        """``POST /serving-endpoints/pt``: a provisioned-throughput endpoint (model units)."""
        body = as_object(body, "body")
        name = self._new_name(body)
        documents.check_pt_create(body)
        checked = self._checked(body, pt=True)
        endpoint = documents.new_endpoint(name, principal, Kind.PT, body, self._now_ms())
        return self._insert(endpoint, checked)

    def get_endpoint(self, name: str) -> dict[str, Any]:
        """``GET /serving-endpoints/{name}``."""
        with self.db.lock:
            endpoint = self._load(name)
        return endpoint.to_detailed(self._shuffler())

    def list_endpoints(self) -> dict[str, Any]:
        """``GET /serving-endpoints``: every endpoint in summary shape."""
        now = self.clock()
        with self.db.lock:
            endpoints = self.db.load_all()
            for endpoint in endpoints:
                if lifecycle.settle(endpoint, now):
                    self.db.save(endpoint)
        return {"endpoints": [e.to_summary() for e in endpoints]}

    def delete_endpoint(self, name: str) -> None:
        """``DELETE /serving-endpoints/{name}`` (system endpoints: 403)."""
        with self.db.lock:
            endpoint = self._load(name)
            documents.refuse_system(endpoint, "deleted")
            self.db.delete(name)

    def update_config(self, name: str, body: Any, principal: str) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/config``: start an asynchronous update."""
        checked = check_config(as_object(body, "body"), "body", self.catalogue, self.limits)
        return self._update(name, checked, principal, Kind.REGULAR)

    def update_pt_config(self, name: str, body: Any, principal: str) -> dict[str, Any]:
        """``PUT /serving-endpoints/pt/{name}/config``: update a provisioned-throughput config."""
        raw = as_object(body, "body").get("config")
        if raw is None:
            raise InvalidParameter("'config' is required.")
        checked = check_config(raw, "config", self.catalogue, self.limits, pt=True)
        return self._update(name, checked, principal, Kind.PT)

    def _update(
        self, name: str, checked: CheckedConfig, principal: str, kind: Kind
    ) -> dict[str, Any]:
        if not checked.config.served_entities:
            raise InvalidParameter("'served_entities' must not be empty.")
        with self.db.lock:
            endpoint = self._load(name)
            documents.refuse_system(endpoint, "updated")
            documents.check_kind(endpoint, kind)
            documents.check_external_switch(endpoint, checked)
            self._start(endpoint, checked, principal)
            self.db.save(endpoint)
        return endpoint.to_detailed(self._shuffler())

    # -- sub-resources -----------------------------------------------------------

    def put_ai_gateway(self, name: str, body: Any) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/ai-gateway`` (allowed on system endpoints too)."""
        return self._modify(name, lambda e: subresources.put_ai_gateway(e, body), system=True)

    def patch_tags(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/tags``."""
        return self._modify(name, lambda e: subresources.patch_tags(e, body))

    def put_rate_limits(self, name: str, body: Any) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/rate-limits`` (deprecated legacy limits)."""
        return self._modify(name, lambda e: subresources.put_rate_limits(e, body))

    def patch_notifications(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/notifications``."""
        return self._modify(name, lambda e: subresources.patch_notifications(e, body))

    def patch_telemetry_config(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/telemetry-config``; returns the endpoint."""
        self._modify(name, lambda e: subresources.patch_telemetry_config(e, body))
        return self.get_endpoint(name)

    # -- descriptions ------------------------------------------------------------

    def get_open_api(self, name: str, base_url: str) -> dict[str, Any]:
        """``GET /serving-endpoints/{name}/openapi``."""
        return describe.openapi_document(self.load_endpoint(name), base_url)

    def get_logs(self, name: str, entity: str, kind: str) -> dict[str, str]:
        """``GET .../served-models/{entity}/logs`` (``kind`` ``server``) or ``build-logs``."""
        return describe.entity_logs(self.load_endpoint(name), entity, kind)

    def get_model_optimization_info(self, model: str, version: str) -> dict[str, Any]:
        """``GET /serving-endpoints/get-model-optimization-info/{model}/{version}``."""
        return describe.model_optimization_info(self.catalogue, model, version)

    # -- permissions -------------------------------------------------------------

    def get_permissions(self, endpoint_id: str) -> dict[str, Any]:
        """``GET /permissions/serving-endpoints/{id}``."""
        with self.db.lock:
            endpoint = self._load_id(endpoint_id)
        return permissions.render_permissions(endpoint_id, documents.acl_of(endpoint))

    def set_permissions(self, endpoint_id: str, body: Any, *, merge: bool) -> dict[str, Any]:
        """``PUT`` (replace) or ``PATCH`` (merge) the ACL of an endpoint by id."""
        acl = permissions.check_acl(as_object(body, "body"))
        permissions.check_principals(acl, Directory.from_settings(self.settings))
        with self.db.lock:
            endpoint = self._load_id(endpoint_id)
            documents.refuse_system(endpoint, "re-permissioned")
            if merge:
                acl = permissions.merge_acl(documents.acl_of(endpoint), acl)
            endpoint.acl = acl
            self.db.save(endpoint)
        return permissions.render_permissions(endpoint_id, acl)

    def check_can_query(self, endpoint: EndpointResource, principal: str) -> None:
        """403 for a caller without CAN_QUERY when ``enforce_acl`` is on; anyone may
        query a pay-per-token system endpoint."""
        if self.settings.enforce_acl and not endpoint.is_system():
            directory = Directory.from_settings(self.settings)
            acl = documents.acl_of(endpoint)
            permissions.check_can_query(endpoint.name, acl, principal, directory)

    # -- faults, queries, inspection ---------------------------------------------

    def set_endpoint_fault(
        self, name: str, stuck_seconds: float | None, update_failed: str | None
    ) -> str:
        """Make the current (or next) update hang or fail; returns ``current`` or ``next``."""
        return self._modify(
            name,
            lambda e: lifecycle.inject_fault(e, self.clock(), stuck_seconds, update_failed),
            system=True,
        )

    def query_target(self, name: str) -> tuple[EndpointResource, StoredConfig]:
        """An endpoint that can answer queries and its deployed config (400 if not ready)."""
        endpoint = self.load_endpoint(name)
        if endpoint.config is None:
            raise InvalidState(
                f"Endpoint '{name}' is not ready (state {endpoint.config_update()}); "
                "query it once it is READY."
            )
        return endpoint, endpoint.config

    def load_endpoint(self, name: str) -> EndpointResource:
        """The settled endpoint, secrets included: for server-side use only."""
        with self.db.lock:
            return self._load(name)

    def endpoint_doc(self, name: str) -> dict[str, Any]:
        """The settled endpoint's stored row (secrets included), for inspection in tests."""
        return self.load_endpoint(name).to_row()

    # -- helpers -----------------------------------------------------------------

    def _new_name(self, body: dict[str, Any]) -> str:
        name = req_str(body, "name", "")
        check_name(name, "name", self.settings.max_name_length)
        return name

    def _checked(self, body: dict[str, Any], *, pt: bool) -> CheckedConfig:
        raw = body.get("config")
        if raw is None:
            return CheckedConfig(StoredConfig([]), None, None)
        return check_config(raw, "config", self.catalogue, self.limits, pt=pt)

    def _insert(self, endpoint: EndpointResource, checked: CheckedConfig) -> dict[str, Any]:
        with self.db.lock:
            if checked.config.served_entities:
                self._start(endpoint, checked, endpoint.creator)
            if not self.db.insert(endpoint):
                raise EndpointAlreadyExists(endpoint.name)
        return endpoint.to_detailed(self._shuffler())

    def _start(self, endpoint: EndpointResource, checked: CheckedConfig, principal: str) -> None:
        provisioned = documents.is_provisioned(checked.config)
        wait = lifecycle.settle_seconds_for(
            endpoint, provisioned, self.settings.settle_seconds, self.settings.pt_settle_seconds
        )
        lifecycle.start_update(endpoint, checked, self.clock(), wait, principal)
        if endpoint.config is None:  # a first deploy: nothing else to answer with meanwhile
            endpoint.task, endpoint.external = checked.task, checked.external

    def _load(self, name: str) -> EndpointResource:
        endpoint = self.db.load(name)
        if endpoint is None:
            raise EndpointNotFound(name)
        if lifecycle.settle(endpoint, self.clock()):
            self.db.save(endpoint)
        return endpoint

    def _load_id(self, endpoint_id: str) -> EndpointResource:
        endpoint = self.db.load_by_id(endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(endpoint_id, by="id")
        return endpoint

    def _modify(
        self, name: str, change: Callable[[EndpointResource], T], *, system: bool = False
    ) -> T:
        with self.db.lock:
            endpoint = self._load(name)
            if not system:
                documents.refuse_system(endpoint, "changed")
            result = change(endpoint)
            endpoint.last_updated_timestamp = self._now_ms()
            self.db.save(endpoint)
        return result

    def _now_ms(self) -> int:
        return ms(self.clock())

    def _shuffler(self) -> random.Random | None:
        """The generator that shuffles answered entities, when the settings ask for it."""
        return self.rng if self.settings.shuffle_entities else None
