"""The isolation sweep: every route with `{org}` in its path, every method, every kind of
caller who must not get in. New routes are covered automatically; a route that does not
resolve its org through deps.RoleRequirement fails the sweep."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.deps import RoleRequirement
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token, new_token
from infrasync.models import (
    ApiKey,
    Channel,
    DigestRecord,
    DigestRun,
    Invite,
    Membership,
    Monitor,
    Org,
    Role,
    User,
)
from infrasync.orgs import service as org_service
from tests.conftest import Personas, SignIn, client_with
from tests.factories import add_member, make_user

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class OrgRoute:
    method: str
    path: str
    role: Role
    # Finds a deleted org too (restore): people only, so any API key is a 401.
    people_only: bool = False

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
            requirement = requirements[0]
            routes.append(OrgRoute(method, path, requirement.role, requirement.include_deleted))
    return routes


# Every `{org}` route, by hand. A route added without a line here fails the sweep: adding
# the line is the moment to check that the route takes its org from deps (and, when it has
# an id, that `_seed` makes one and VALID_BODIES gets it past validation).
SWEPT_ROUTES = {
    ("DELETE", "/api/orgs/{org}"),
    ("GET", "/api/orgs/{org}"),
    ("PATCH", "/api/orgs/{org}"),
    ("GET", "/api/orgs/{org}/analytics"),
    ("GET", "/api/orgs/{org}/analytics/summary"),
    ("GET", "/api/orgs/{org}/analytics/github-budget"),
    ("GET", "/api/orgs/{org}/api-keys"),
    ("POST", "/api/orgs/{org}/api-keys"),
    ("DELETE", "/api/orgs/{org}/api-keys/{key_id}"),
    ("GET", "/api/orgs/{org}/audit"),
    ("GET", "/api/orgs/{org}/billing"),
    ("POST", "/api/orgs/{org}/billing/checkout"),
    ("POST", "/api/orgs/{org}/billing/portal"),
    ("GET", "/api/orgs/{org}/channels"),
    ("POST", "/api/orgs/{org}/channels"),
    ("DELETE", "/api/orgs/{org}/channels/{channel_id}"),
    ("GET", "/api/orgs/{org}/channels/{channel_id}"),
    ("PATCH", "/api/orgs/{org}/channels/{channel_id}"),
    ("GET", "/api/orgs/{org}/channels/{channel_id}/deliveries"),
    ("POST", "/api/orgs/{org}/channels/{channel_id}/rotate-secret"),
    ("POST", "/api/orgs/{org}/channels/{channel_id}/test"),
    ("GET", "/api/orgs/{org}/digests"),
    ("GET", "/api/orgs/{org}/digests/{digest_id}"),
    ("GET", "/api/orgs/{org}/digests/{digest_id}/preview"),
    ("GET", "/api/orgs/{org}/feeds"),
    ("DELETE", "/api/orgs/{org}/feeds/{monitor_id}"),
    ("PUT", "/api/orgs/{org}/feeds/{monitor_id}"),
    ("POST", "/api/orgs/{org}/feeds/{monitor_id}/rotate"),
    ("GET", "/api/orgs/{org}/github-tokens"),
    ("DELETE", "/api/orgs/{org}/github-tokens/mine"),
    ("PUT", "/api/orgs/{org}/github-tokens/mine"),
    ("GET", "/api/orgs/{org}/invites"),
    ("POST", "/api/orgs/{org}/invites"),
    ("DELETE", "/api/orgs/{org}/invites/{invite_id}"),
    ("POST", "/api/orgs/{org}/leave"),
    ("GET", "/api/orgs/{org}/members"),
    ("DELETE", "/api/orgs/{org}/members/{user_id}"),
    ("PATCH", "/api/orgs/{org}/members/{user_id}"),
    ("GET", "/api/orgs/{org}/monitors"),
    ("POST", "/api/orgs/{org}/monitors"),
    ("GET", "/api/orgs/{org}/monitors/schedule-preview"),
    ("DELETE", "/api/orgs/{org}/monitors/{monitor_id}"),
    ("GET", "/api/orgs/{org}/monitors/{monitor_id}"),
    ("PATCH", "/api/orgs/{org}/monitors/{monitor_id}"),
    ("POST", "/api/orgs/{org}/monitors/{monitor_id}/digests"),
    ("GET", "/api/orgs/{org}/monitors/{monitor_id}/runs/{run_id}"),
    ("POST", "/api/orgs/{org}/restore"),
}


def test_every_org_route_is_in_the_sweeps_inventory(app: FastAPI) -> None:
    found = {(route.method, route.path) for route in org_routes(app)}
    left_out = sorted(found - SWEPT_ROUTES, key=lambda r: (r[1], r[0]))
    gone = sorted(SWEPT_ROUTES - found, key=lambda r: (r[1], r[0]))
    assert not left_out, f"{{org}} routes left out of SWEPT_ROUTES, add them: {left_out}"
    assert not gone, f"SWEPT_ROUTES names routes that no longer exist: {gone}"


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
    from infrasync.auth.context import OrgContext, Principal

    context = OrgContext(
        org=personas.org, role=Role.OWNER, principal=Principal(user=personas.owner)
    )
    from infrasync.kit.client_info import NO_CLIENT

    created = await org_service.create_api_key(session, context, "old", Role.OWNER, NO_CLIENT)
    await org_service.revoke_api_key(session, context, created.key.id, NO_CLIENT)
    return created.secret


async def _key_of_other_org(session: AsyncSession, personas: Personas) -> str:
    from infrasync.auth.context import OrgContext, Principal
    from infrasync.kit.client_info import NO_CLIENT

    context = OrgContext(
        org=personas.other_org, role=Role.OWNER, principal=Principal(user=personas.outsider)
    )
    created = await org_service.create_api_key(session, context, "ci", Role.OWNER, NO_CLIENT)
    return created.secret


async def _admin_key(session: AsyncSession, org: Org, admin: User) -> str:
    from infrasync.auth.context import OrgContext
    from infrasync.kit.client_info import NO_CLIENT

    context = OrgContext.of_member(org, admin, Role.ADMIN)
    created = await org_service.create_api_key(session, context, "ci", Role.ADMIN, NO_CLIENT)
    return created.secret


async def test_isolation_sweep(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    removed = await make_user(session, "removed-member")
    await add_member(session, personas.org, removed, Role.ADMIN)
    demoted = await make_user(session, "demoted-admin")
    demoted_membership = await add_member(session, personas.org, demoted, Role.ADMIN)
    revoked_key = await _revoked_key(session, personas)
    other_org_key = await _key_of_other_org(session, personas)
    removed_admins_key = await _admin_key(session, personas.org, removed)
    demoted_admins_key = await _admin_key(session, personas.org, demoted)
    await session.commit()

    outsider = await sign_in(personas.outsider)
    viewer = await sign_in(personas.viewer)
    removed_client = await sign_in(removed)
    assert (await removed_client.get(f"/api/orgs/{personas.org.slug}")).status_code == 200
    # Removed by hand, so no revocation runs: authentication alone must refuse the key.
    await session.execute(delete(Membership).where(Membership.user_id == removed.id))
    demoted_membership.role = Role.VIEWER
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
        client_with(app, headers={"Authorization": f"Bearer {removed_admins_key}"}) as orphan,
        client_with(app, headers={"Authorization": f"Bearer {demoted_admins_key}"}) as capped,
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
            response = await orphan.request(route.method, url, json=body)
            expect("key of a removed admin", route, response, {401})
            if route.role != Role.VIEWER:
                response = await capped.request(route.method, url, json=body)
                allowed = {401} if route.people_only else {403}
                expect("key of an admin demoted to viewer", route, response, allowed)

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


# Resource-level isolation: every id in an `{org}` path, filled with a real resource of
# another org, must be a 404 that changes nothing. ----------------------------------------

# A body that passes validation, so that the route gets as far as looking the id up.
VALID_BODIES: dict[tuple[str, str], object] = {
    ("PATCH", "/api/orgs/{org}/members/{user_id}"): {"role": "viewer"},
    ("PATCH", "/api/orgs/{org}/monitors/{monitor_id}"): {"name": "renamed"},
    ("POST", "/api/orgs/{org}/monitors/{monitor_id}/digests"): {},
    ("PATCH", "/api/orgs/{org}/channels/{channel_id}"): {"name": "renamed"},
}


@dataclass(frozen=True)
class Seeded:
    """One resource of each kind in one org, by the path parameter that names it."""

    org_id: uuid.UUID
    slug: str
    ids: dict[str, uuid.UUID]


async def _seed(session: AsyncSession, org: Org, owner: User, label: str) -> Seeded:
    member = await make_user(session, f"{label}-member")
    await add_member(session, org, member, Role.MEMBER)
    invite = Invite(
        org_id=org.id,
        token_hash=hash_token(new_token()),
        role=Role.MEMBER,
        invited_by_id=owner.id,
        expires_at=utcnow() + timedelta(days=7),
    )
    key = ApiKey(
        org_id=org.id,
        name=f"{label}-key",
        role=Role.MEMBER,
        token_hash=hash_token(new_token("isk_")),
        hint="isk_abcd",
        created_by_id=owner.id,
    )
    monitor = Monitor(
        org_id=org.id, name=f"{label}-monitor", source="acme/app", source_kind="github"
    )
    session.add_all([invite, key, monitor])
    await session.flush()
    digest = DigestRecord(
        org_id=org.id,
        monitor_id=monitor.id,
        period_since=utcnow() - timedelta(days=7),
        period_until=utcnow(),
        repository={"name": "acme/app"},
        writer="builtin",
        text=f"{label} digest",
        metrics={"schema": 1},
        items={},
        trigger="manual",
    )
    channel = Channel(
        org_id=org.id, kind="email", name=f"{label}-channel", addresses=[f"{label}@example.com"]
    )
    session.add_all([digest, channel])
    await session.flush()
    run = DigestRun(
        org_id=org.id,
        monitor_id=monitor.id,
        period_since=digest.period_since,
        period_until=digest.period_until,
        trigger="manual",
        state="done",
        not_before=utcnow(),
        digest_id=digest.id,
    )
    session.add(run)
    await session.flush()
    return Seeded(
        org_id=org.id,
        slug=org.slug,
        ids={
            "user_id": member.id,
            "invite_id": invite.id,
            "key_id": key.id,
            "monitor_id": monitor.id,
            "digest_id": digest.id,
            "channel_id": channel.id,
            "run_id": run.id,
        },
    )


async def _snapshot(session: AsyncSession, org_id: uuid.UUID) -> list[tuple[object, ...]]:
    """Everything of one org that a route could change, as plain values."""
    session.expire_all()
    rows: list[tuple[object, ...]] = []
    for table in (Membership, Invite, ApiKey, Monitor, DigestRecord, Channel, DigestRun):
        result = await session.execute(select(table).where(table.org_id == org_id))
        for row in result.scalars():
            columns = table.__table__.columns
            values = {c.key: getattr(row, c.key) for c in columns}
            values.pop("last_used_at", None)
            rows.append((table.__name__, *sorted((k, repr(v)) for k, v in values.items())))
    found = await session.scalar(select(Org).where(Org.id == org_id))
    assert found is not None
    rows.append(("org", found.slug, found.name, repr(found.deleted_at)))
    return sorted(rows, key=repr)


def _id_parameters(path: str) -> list[str]:
    return [name for name in re.findall(r"\{([^}]+)\}", path) if name != "org"]


async def _sweep_resources(
    app: FastAPI, caller: httpx.AsyncClient, own: Seeded, foreign: Seeded
) -> list[str]:
    failures = []
    for route in org_routes(app):
        parameters = _id_parameters(route.path)
        if not parameters:
            if route.method == "GET":
                listed = await caller.get(route.path.replace("{org}", own.slug))
                leaked = [str(i) for i in foreign.ids.values() if str(i) in listed.text]
                if leaked:
                    failures.append(f"GET {route.path} lists another org's {leaked}")
            continue
        url = route.path.replace("{org}", own.slug)
        for name in parameters:
            if name not in foreign.ids:
                failures.append(
                    f"{route.path}: no resource seeded for {{{name}}}; seed one in _seed"
                )
                continue
            url = url.replace(f"{{{name}}}", str(foreign.ids[name]))
        body = VALID_BODIES.get((route.method, route.path))
        response = await caller.request(route.method, url, json=body)
        if response.status_code != 404:
            failures.append(
                f"{route.method} {route.path} with another org's id -> "
                f"{response.status_code}: {response.text[:120]}"
            )
    return failures


async def test_another_orgs_resources_are_404_and_stay_unchanged(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    acme = await _seed(session, personas.org, personas.owner, "acme")
    globex = await _seed(session, personas.other_org, personas.outsider, "globex")
    await session.commit()
    acme_owner, globex_owner = await sign_in(personas.owner), await sign_in(personas.outsider)
    before = {seeded.slug: await _snapshot(session, seeded.org_id) for seeded in (acme, globex)}

    failures = await _sweep_resources(app, acme_owner, acme, globex)
    failures += await _sweep_resources(app, globex_owner, globex, acme)

    assert not failures, "\n".join(failures)
    assert await _snapshot(session, globex.org_id) == before["globex"]
    assert await _snapshot(session, acme.org_id) == before["acme"]
