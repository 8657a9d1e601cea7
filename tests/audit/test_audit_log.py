from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Personas, SignIn
from tests.factories import make_user


async def test_every_org_action_leaves_an_audit_row(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    newcomer = await make_user(session, "newcomer")
    await session.commit()
    owner = await sign_in(personas.owner)
    owner.headers["User-Agent"] = "audit-test-browser/1.0"
    joining = await sign_in(newcomer)

    await owner.patch("/api/orgs/acme", json={"name": "Acme Corp"})
    await owner.patch(f"/api/orgs/acme/members/{personas.viewer.id}", json={"role": "member"})
    await owner.delete(f"/api/orgs/acme/members/{personas.member.id}")
    kept = (await owner.post("/api/orgs/acme/invites", json={"role": "viewer"})).json()
    dropped = (await owner.post("/api/orgs/acme/invites", json={})).json()
    await owner.delete(f"/api/orgs/acme/invites/{dropped['id']}")
    await joining.post(f"/api/invites/{kept['token']}/accept")
    key = (await owner.post("/api/orgs/acme/api-keys", json={"name": "CI"})).json()
    await owner.delete(f"/api/orgs/acme/api-keys/{key['id']}")
    await (await sign_in(personas.admin)).post("/api/orgs/acme/leave")
    await owner.delete("/api/orgs/acme")
    await owner.post("/api/orgs/acme/restore")

    page = (await owner.get("/api/orgs/acme/audit", params={"limit": 200})).json()
    actions = [item["action"] for item in reversed(page["items"])]
    assert actions == [
        "org.rename",
        "member.role_change",
        "member.remove",
        "invite.create",
        "invite.create",
        "invite.revoke",
        "invite.accept",
        "api_key.create",
        "api_key.revoke",
        "member.leave",
        "org.delete",
        "org.restore",
    ]
    by_action = {item["action"]: item for item in page["items"]}
    change = by_action["member.role_change"]
    assert change["actor"] == {
        "type": "user",
        "id": str(personas.owner.id),
        "label": "owner-of-acme",
    }
    assert change["target"]["label"] == "viewer-of-acme"
    assert change["details"] == {"from": "viewer", "to": "member"}
    assert change["user_agent"] == "audit-test-browser/1.0"
    assert change["ip"] == "127.0.0.1"
    assert change["created_at"].endswith("Z") or "+00:00" in change["created_at"]
    assert by_action["invite.accept"]["actor"]["label"] == "newcomer"
    assert by_action["org.rename"]["details"]["name"] == {"from": "Acme", "to": "Acme Corp"}


async def test_creating_an_org_is_audited_in_that_org(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    await owner.post("/api/orgs", json={"name": "Initech"})
    items = (await owner.get("/api/orgs/initech/audit")).json()["items"]
    assert [item["action"] for item in items] == ["org.create"]


async def test_the_audit_log_pages_newest_first(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    for number in range(5):
        await owner.patch("/api/orgs/acme", json={"name": f"Acme {number}"})
    first = (await owner.get("/api/orgs/acme/audit", params={"limit": 2})).json()
    second = (
        await owner.get("/api/orgs/acme/audit", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    third = (
        await owner.get(
            "/api/orgs/acme/audit", params={"limit": 2, "cursor": second["next_cursor"]}
        )
    ).json()
    names = [
        item["details"]["name"]["to"] for page in (first, second, third) for item in page["items"]
    ]
    assert names == ["Acme 4", "Acme 3", "Acme 2", "Acme 1", "Acme 0"]
    assert third["next_cursor"] is None


async def test_a_bad_cursor_or_limit_is_a_4xx(sign_in: SignIn, personas: Personas) -> None:
    owner = await sign_in(personas.owner)
    bad_cursor = await owner.get("/api/orgs/acme/audit", params={"cursor": "bm9wZQ"})
    assert bad_cursor.status_code == 400
    assert "next_cursor" in bad_cursor.json()["detail"]
    for limit in ("0", "201", "many"):
        response = await owner.get("/api/orgs/acme/audit", params={"limit": limit})
        assert response.status_code == 422, limit


async def test_only_owners_and_admins_read_the_audit_log(
    sign_in: SignIn, personas: Personas
) -> None:
    assert (await (await sign_in(personas.admin)).get("/api/orgs/acme/audit")).status_code == 200
    assert (await (await sign_in(personas.member)).get("/api/orgs/acme/audit")).status_code == 403


async def test_my_audit_log_has_my_sign_ins_and_sign_outs(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    from infrasync.audit import service as audit
    from infrasync.auth.context import Actor
    from infrasync.kit.client_info import ClientInfo

    await audit.record(
        session,
        "auth.sign_in",
        actor=Actor.of_user(personas.member),
        client=ClientInfo(ip="203.0.113.9", user_agent="ua"),
        details={"method": "github"},
    )
    await session.commit()
    member = await sign_in(personas.member)
    await member.post("/api/orgs/acme/leave")
    items = (await member.get("/api/me/audit")).json()["items"]
    assert [item["action"] for item in items] == ["member.leave", "auth.sign_in"]
    assert items[1]["ip"] == "203.0.113.9"
