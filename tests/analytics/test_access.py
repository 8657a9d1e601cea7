"""Who may read analytics: every role of the org (an API key too), nobody else; another
org's monitor is a 404 like a missing one; both routes are typed in OpenAPI."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.auth.context import OrgContext
from infrasync.kit.client_info import NO_CLIENT
from infrasync.models import Role
from infrasync.orgs import service as org_service
from tests.analytics.world import add_digest, add_monitor, at
from tests.conftest import Personas, SignIn, client_with

ROUTES = ["/api/orgs/acme/analytics", "/api/orgs/acme/analytics/summary"]


@pytest.mark.parametrize("route", ROUTES)
async def test_a_viewer_reads_and_an_outsider_gets_404(
    personas: Personas, sign_in: SignIn, route: str
) -> None:
    viewer, outsider = await sign_in(personas.viewer), await sign_in(personas.outsider)
    assert (await viewer.get(route)).status_code == 200
    response = await outsider.get(route)
    assert response.status_code == 404
    assert response.json() == {"detail": "No org 'acme' that you belong to."}


async def test_a_viewers_api_key_reads_the_series(
    app: FastAPI, session: AsyncSession, personas: Personas
) -> None:
    context = OrgContext.of_member(personas.org, personas.owner, Role.OWNER)
    created = await org_service.create_api_key(session, context, "chart", Role.VIEWER, NO_CLIENT)
    await session.commit()
    async with client_with(app, headers={"Authorization": f"Bearer {created.secret}"}) as key:
        assert (await key.get(ROUTES[0], params={"metric": "commits"})).status_code == 200


async def test_another_orgs_monitor_is_404_and_shows_nothing(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    theirs = await add_monitor(session, personas.other_org, "Theirs")
    await add_digest(session, theirs, at("2026-10-05"), prs_merged=42)
    await session.commit()
    viewer = await sign_in(personas.viewer)
    for monitor_id in (theirs.id, uuid.uuid4()):
        response = await viewer.get(ROUTES[0], params={"monitor_id": str(monitor_id)})
        assert response.status_code == 404
        assert response.json() == {"detail": "No such monitor in this org."}


def test_both_routes_are_typed_in_openapi(app: FastAPI) -> None:
    document = app.openapi()
    paths = document["paths"]
    for path, model in (
        ("/api/orgs/{org}/analytics", "Series"),
        (ROUTES[1].replace("acme", "{org}"), "Summary"),
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model}"}
        assert "422" in paths[path]["get"]["responses"]
    point = document["components"]["schemas"]["Point"]["properties"]
    assert {"start", "end", "value", "digests"} <= set(point)
    aggregation = document["components"]["schemas"]["Series"]["properties"]["aggregation"]
    assert set(aggregation["enum"]) == {
        "sum",
        "sum_of_latest",
        "weighted_median_of_digests",
        "median_of_digests",
    }
