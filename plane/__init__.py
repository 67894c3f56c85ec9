"""The local serving control plane: a faithful stand-in for the Model Serving REST API.

Entry points:

- ``plane.app.create_app(db_path, *, settings=PlaneSettings(), clock=time.time)``: the
  Starlette app (``app.state.plane`` holds store, faults, stats).
- ``plane.server.main(argv)``: ``python -m plane`` / ``servingops plane``; serves with
  uvicorn on 127.0.0.1, writes the owner-only env file and prints ``DATABRICKS_HOST=``.
- tests/plane_testing.py (test code, not shipped): ``running_plane(tmp_path, **settings)``,
  a real server in a thread, and ``FakeClock`` for instant settling.

Layout (moto style): ``routes/`` thin handlers → ``store`` (SQL, rules, ``reset``) with
``resource`` (``EndpointResource``, the one model class: every stored key, row codec),
``documents`` (create bodies, rules between versions), ``validate_*``, ``lifecycle``
(asynchronous updates), ``render`` (output quirks), ``errors`` (one class per error);
``query`` + ``gateway`` answer invocations through ``plane.inference``; ``middleware``
does auth, faults, body limit and request stats. The plane imports nothing from the
client (``servingops``, ``providers``); the model catalogue comes from the leaf
package ``servingcatalogue``.
"""
