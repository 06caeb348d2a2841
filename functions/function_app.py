"""Azure Functions entry point: one Blueprint per resource."""

from __future__ import annotations

import azure.functions as func
from routes import (
    alerts,
    auth,
    console,
    consumption,
    devices,
    docs,
    health,
    housekeeping,
    ingest,
    me,
    measurements,
    realtime,
    silence,
    tariffs,
    users,
)

from shared.gctune import collect_young_less_often

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (
    auth.bp,
    users.bp,
    devices.bp,
    me.bp,
    consumption.bp,
    tariffs.bp,
    measurements.bp,
    alerts.bp,
    realtime.bp,
    ingest.build_blueprint(),
    health.bp,
    docs.bp,
    console.bp,
    silence.bp,
    housekeeping.bp,
):
    app.register_functions(blueprint)

# Ingestion keeps a batch's readings alive until its commit; with CPython's default young
# threshold (700) a 2,000-reading batch set off ~25 collections that each re-scanned them:
# 15-18 ms CPU per 1,000 readings, a fifth of the batch's cost (measured in-process).
collect_young_less_often()
