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
