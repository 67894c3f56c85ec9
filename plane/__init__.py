"""The local serving control plane: a faithful stand-in for the Model Serving REST API.

Entry points:

- ``plane.app.create_app(db_path, *, settings=PlaneSettings(), clock=time.time)``: the
  Starlette app (``app.state.plane`` holds store, faults, stats).
- ``plane.server.main(argv)``: ``python -m plane`` / ``servingops plane``; serves with
  uvicorn on 127.0.0.1 and prints ``DATABRICKS_HOST=`` / ``DATABRICKS_TOKEN=`` lines.
- ``plane.testing.running_plane(tmp_path, **settings)``: a real server in a thread for
  tests; ``plane.testing.FakeClock`` for instant settling.

Layout (moto style): ``routes/`` thin handlers → ``store`` (SQL, rules, ``reset``) with
``validate_*``, ``lifecycle`` (asynchronous updates), ``render`` (output quirks),
``errors`` (one class per error); ``query`` + ``gateway`` answer invocations through
``plane.inference``; ``middleware`` does auth, faults, body limit and request stats.
"""
