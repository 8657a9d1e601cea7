"""The isolation sweep: every route with `{org}` in its path, every method, every kind of
caller who must not get in. New routes are covered automatically; a route that does not
resolve its org through deps.RoleRequirement fails the sweep."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import RoleRequirement
from infrasync.models import Membership, Role
from infrasync.orgs import service as org_service
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_user

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class OrgRoute:
    method: str
    path: str
    role: Role

    def url(self, slug: str) -> str:
        filled = self.path.replace("{org}", slug)
        # Any other parameter gets an id that exists nowhere: the caller must be turned
        # away before the route ever looks it up.
        return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), filled)


def _role_requirements(dependant: Dependant) -> list[RoleRequirement]:
    found = [dependant.call] if isinstance(dependant.call, RoleRequirement) else []
    for child in dependant.dependencies:
        found.extend(_role_requirements(child))
    return [requirement for requirement in found if isinstance(requirement, RoleRequirement)]


def org_routes(app: FastAPI) -> list[OrgRoute]:
    routes = []
    # iter_route_contexts sees through included routers to each route's effective path.
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if not isinstance(route, APIRoute) or path is None or "{org}" not in path:
            continue
        requirements = _role_requirements(route.dependant)
        assert len(requirements) == 1, (
            f"{path} must resolve its org through exactly one deps.RoleRequirement "
            f"(ViewerOrg, MemberOrg, AdminOrg, OwnerOrg); found {len(requirements)}"
        )
        for method in sorted(route.methods or ()):
            routes.append(OrgRoute(method, path, requirements[0].role))
    return routes


def test_every_org_route_in_the_openapi_document_is_swept(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if "{org}" in path
        for method in operations
    }
    swept = {(route.method, route.path) for route in org_routes(app)}
    assert documented == swept
    assert len(swept) >= 15  # the sweep really walks the org API


async def _revoked_key(session: AsyncSession, personas: Personas) -> str:
    from infrasync.deps import OrgContext, Principal

    context = OrgContext(
        org=personas.org, role=Role.OWNER, principal=Principal(user=personas.owner)
    )
    from infrasync.kit.client_info import NO_CLIENT

    created = await org_service.create_api_key(session, context, "old", Role.OWNER, NO_CLIENT)
    await org_service.revoke_api_key(session, context, created.key.id, NO_CLIENT)
    return created.secret


async def _key_of_other_org(session: AsyncSession, personas: Personas) -> str:
    from infrasync.deps import OrgContext, Principal
    from infrasync.kit.client_info import NO_CLIENT

    context = OrgContext(
        org=personas.other_org, role=Role.OWNER, principal=Principal(user=personas.outsider)
    )
    created = await org_service.create_api_key(session, context, "ci", Role.OWNER, NO_CLIENT)
    return created.secret


async def test_isolation_sweep(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    removed = await make_user(session, "removed-member")
    await add_member(session, personas.org, removed, Role.ADMIN)
    revoked_key = await _revoked_key(session, personas)
    other_org_key = await _key_of_other_org(session, personas)
    await session.commit()

    outsider = await sign_in(personas.outsider)
    viewer = await sign_in(personas.viewer)
    removed_client = await sign_in(removed)
    assert (await removed_client.get(f"/api/orgs/{personas.org.slug}")).status_code == 200
    await session.execute(delete(Membership).where(Membership.user_id == removed.id))
    await session.commit()

    failures: list[str] = []

    def expect(who: str, route: OrgRoute, response: httpx.Response, allowed: set[int]) -> None:
        if response.status_code not in allowed:
            failures.append(
                f"{who}: {route.method} {route.path} -> {response.status_code} "
                f"(expected {sorted(allowed)}): {response.text[:120]}"
            )

    async with (
        client_with(app, headers={"Authorization": f"Bearer {revoked_key}"}) as revoked,
        client_with(app, headers={"Authorization": f"Bearer {other_org_key}"}) as foreign_key,
    ):
        for route in org_routes(app):
            url = route.url(personas.org.slug)
            body: object = {} if route.method in WRITE_METHODS else None

            response = await outsider.request(route.method, url, json=body)
            expect("outsider", route, response, {404})
            if route.method in WRITE_METHODS and route.role != Role.VIEWER:
                response = await viewer.request(route.method, url, json=body)
                expect("viewer", route, response, {403})
            response = await removed_client.request(route.method, url, json=body)
            expect("removed member", route, response, {401, 404})
            response = await revoked.request(route.method, url, json=body)
            expect("revoked API key", route, response, {401})
            response = await foreign_key.request(route.method, url, json=body)
            expect("API key of another org", route, response, {404})

    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_a_missing_org_and_a_foreign_org_look_the_same(
    personas: Personas, sign_in: SignIn, method: str
) -> None:
    outsider = await sign_in(personas.outsider)
    body: object = {} if method != "GET" else None
    foreign = await outsider.request(method, f"/api/orgs/{personas.org.slug}", json=body)
    missing = await outsider.request(method, "/api/orgs/no-such-org", json=body)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"].replace("acme", "X") == missing.json()["detail"].replace(
        "no-such-org", "X"
    )
