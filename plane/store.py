"""The endpoint store: owns the SQL, the rules and ``reset()``; routes only call it.

Operation names follow the API (``create_endpoint``, ``update_config``...). Every
operation runs under the database lock, settles the endpoint's pending update first
(see ``lifecycle``) and returns the response body.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

from plane import documents, lifecycle, permissions, subresources
from plane.checks import as_object, check_name, req_str
from plane.db import Database
from plane.errors import (
    EndpointAlreadyExists,
    EndpointNotFound,
    InvalidParameter,
    InvalidState,
)
from plane.lifecycle import ms
from plane.render import render_endpoint, render_summary
from plane.seed import pay_per_token_docs
from plane.settings import Clock, PlaneSettings
from plane.validate_config import CheckedConfig, Limits, check_config
from servingops.catalogue import Catalogue, load_catalogue

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
            for doc in pay_per_token_docs(self.catalogue, self.clock()):
                self.db.insert(doc)

    # -- endpoints ---------------------------------------------------------------

    def create_endpoint(self, body: Any, principal: str) -> dict[str, Any]:
        """``POST /serving-endpoints``: validate, store IN_PROGRESS, return the endpoint."""
        body = as_object(body, "body")
        name = self._new_name(body)
        checked = self._checked(body, pt=False)
        doc = documents.new_document(name, principal, "regular", body, ms(self.clock()))
        documents.add_regular_fields(doc, body, checked)
        return self._insert(doc, checked)

    def create_pt_endpoint(self, body: Any, principal: str) -> dict[str, Any]:
        """``POST /serving-endpoints/pt``: a provisioned-throughput endpoint (model units)."""
        body = as_object(body, "body")
        name = self._new_name(body)
        documents.check_pt_create(body)
        checked = self._checked(body, pt=True)
        doc = documents.new_document(name, principal, "pt", body, ms(self.clock()))
        return self._insert(doc, checked)

    def get_endpoint(self, name: str) -> dict[str, Any]:
        """``GET /serving-endpoints/{name}``."""
        with self.db.lock:
            doc = self._load(name)
        return render_endpoint(doc, self.rng if self.settings.shuffle_entities else None)

    def list_endpoints(self) -> dict[str, Any]:
        """``GET /serving-endpoints``: every endpoint in summary shape."""
        now = self.clock()
        with self.db.lock:
            docs = self.db.load_all()
            for doc in docs:
                if lifecycle.settle(doc, now):
                    self.db.save(doc)
        return {"endpoints": [render_summary(d) for d in docs]}

    def delete_endpoint(self, name: str) -> None:
        """``DELETE /serving-endpoints/{name}`` (system endpoints: 403)."""
        with self.db.lock:
            doc = self._load(name)
            documents.refuse_system(doc, "deleted")
            self.db.delete(name)

    def update_config(self, name: str, body: Any, principal: str) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/config``: start an asynchronous update."""
        checked = check_config(as_object(body, "body"), "body", self.catalogue, self.limits)
        return self._update(name, checked, principal, "regular")

    def update_pt_config(self, name: str, body: Any, principal: str) -> dict[str, Any]:
        """``PUT /serving-endpoints/pt/{name}/config``: update a provisioned-throughput config."""
        raw = as_object(body, "body").get("config")
        if raw is None:
            raise InvalidParameter("'config' is required.")
        checked = check_config(raw, "config", self.catalogue, self.limits, pt=True)
        return self._update(name, checked, principal, "pt")

    def _update(
        self, name: str, checked: CheckedConfig, principal: str, kind: str
    ) -> dict[str, Any]:
        if not checked.config["served_entities"]:
            raise InvalidParameter("'served_entities' must not be empty.")
        with self.db.lock:
            doc = self._load(name)
            documents.refuse_system(doc, "updated")
            documents.check_kind(doc, kind)
            documents.check_external_switch(doc, checked)
            self._start(doc, checked, principal)
            self.db.save(doc)
        return render_endpoint(doc, self.rng if self.settings.shuffle_entities else None)

    # -- sub-resources -----------------------------------------------------------

    def put_ai_gateway(self, name: str, body: Any) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/ai-gateway`` (allowed on system endpoints too)."""
        return self._modify(name, lambda d: subresources.put_ai_gateway(d, body), system=True)

    def patch_tags(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/tags``."""
        return self._modify(name, lambda d: subresources.patch_tags(d, body))

    def put_rate_limits(self, name: str, body: Any) -> dict[str, Any]:
        """``PUT /serving-endpoints/{name}/rate-limits`` (deprecated legacy limits)."""
        return self._modify(name, lambda d: subresources.put_rate_limits(d, body))

    def patch_notifications(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/notifications``."""
        return self._modify(name, lambda d: subresources.patch_notifications(d, body))

    def patch_telemetry_config(self, name: str, body: Any) -> dict[str, Any]:
        """``PATCH /serving-endpoints/{name}/telemetry-config``; returns the endpoint."""
        self._modify(name, lambda d: subresources.patch_telemetry_config(d, body))
        return self.get_endpoint(name)

    # -- permissions -------------------------------------------------------------

    def get_permissions(self, endpoint_id: str) -> dict[str, Any]:
        """``GET /permissions/serving-endpoints/{id}``."""
        with self.db.lock:
            doc = self._load_id(endpoint_id)
        return permissions.render_permissions(endpoint_id, documents.acl_of(doc))

    def set_permissions(self, endpoint_id: str, body: Any, *, merge: bool) -> dict[str, Any]:
        """``PUT`` (replace) or ``PATCH`` (merge) the ACL of an endpoint by id."""
        acl = permissions.check_acl(as_object(body, "body"))
        with self.db.lock:
            doc = self._load_id(endpoint_id)
            documents.refuse_system(doc, "re-permissioned")
            doc["acl"] = permissions.merge_acl(documents.acl_of(doc), acl) if merge else acl
            self.db.save(doc)
        return permissions.render_permissions(endpoint_id, doc["acl"])

    # -- faults and queries ------------------------------------------------------

    def set_endpoint_fault(
        self, name: str, stuck_seconds: float | None, update_failed: str | None
    ) -> str:
        """Make the current (or next) update hang or fail; returns ``current`` or ``next``."""
        return self._modify(
            name,
            lambda d: lifecycle.inject_fault(d, self.clock(), stuck_seconds, update_failed),
            system=True,
        )

    def query_target(self, name: str) -> dict[str, Any]:
        """The settled document of an endpoint that can answer queries (400 if not ready)."""
        with self.db.lock:
            doc = self._load(name)
        if not doc.get("config"):
            raise InvalidState(
                f"Endpoint '{name}' is not ready (state {lifecycle.config_update(doc)}); "
                "query it once it is READY."
            )
        return doc

    def endpoint_doc(self, name: str) -> dict[str, Any]:
        """The settled stored document (secrets included): for server-side use only."""
        with self.db.lock:
            return self._load(name)

    # -- helpers -----------------------------------------------------------------

    def _new_name(self, body: dict[str, Any]) -> str:
        name = req_str(body, "name", "")
        check_name(name, "name", self.settings.max_name_length)
        return name

    def _checked(self, body: dict[str, Any], *, pt: bool) -> CheckedConfig:
        raw = body.get("config")
        if raw is None:
            return CheckedConfig({"served_entities": []}, None, None)
        return check_config(raw, "config", self.catalogue, self.limits, pt=pt)

    def _insert(self, doc: dict[str, Any], checked: CheckedConfig) -> dict[str, Any]:
        with self.db.lock:
            if checked.config["served_entities"]:
                self._start(doc, checked, doc["creator"])
            if not self.db.insert(doc):
                raise EndpointAlreadyExists(doc["name"])
        return render_endpoint(doc, self.rng if self.settings.shuffle_entities else None)

    def _start(self, doc: dict[str, Any], checked: CheckedConfig, principal: str) -> None:
        provisioned = documents.is_provisioned(checked.config)
        wait = lifecycle.settle_seconds_for(
            doc, provisioned, self.settings.settle_seconds, self.settings.pt_settle_seconds
        )
        lifecycle.start_update(doc, checked.config, self.clock(), wait, principal)
        meta = {"task": checked.task, "external": checked.external}
        doc["pending"]["meta"] = meta  # promoted only if the update succeeds
        if not doc.get("config"):
            doc.update(meta)  # a first deploy: nothing else to answer with meanwhile

    def _load(self, name: str) -> dict[str, Any]:
        doc = self.db.load(name)
        if doc is None:
            raise EndpointNotFound(name)
        if lifecycle.settle(doc, self.clock()):
            self.db.save(doc)
        return doc

    def _load_id(self, endpoint_id: str) -> dict[str, Any]:
        doc = self.db.load_by_id(endpoint_id)
        if doc is None:
            raise EndpointNotFound(endpoint_id, by="id")
        return doc

    def _modify(
        self, name: str, change: Callable[[dict[str, Any]], T], *, system: bool = False
    ) -> T:
        with self.db.lock:
            doc = self._load(name)
            if not system:
                documents.refuse_system(doc, "changed")
            result = change(doc)
            doc["last_updated_timestamp"] = ms(self.clock())
            self.db.save(doc)
        return result
