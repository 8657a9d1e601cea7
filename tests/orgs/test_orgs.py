from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Personas, SignIn
from tests.factories import make_user


async def test_create_org_makes_the_creator_owner(sign_in: SignIn, session: AsyncSession) -> None:
    ada = await make_user(session, "ada")
    await session.commit()
    http = await sign_in(ada)
    created = await http.post("/api/orgs", json={"name": "Analytical Engines"})
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["slug"], body["role"]) == (
        "Analytical Engines",
        "analytical-engines",
        "owner",
    )
    mine = (await http.get("/api/orgs")).json()
    assert [org["slug"] for org in mine] == ["analytical-engines"]
    members = (await http.get("/api/orgs/analytical-engines/members")).json()
    assert [(m["login"], m["role"]) for m in members] == [("ada", "owner")]


async def test_slugs_are_derived_unique_and_checked(sign_in: SignIn, personas: Personas) -> None:
    http = await sign_in(personas.owner)
    second = await http.post("/api/orgs", json={"name": "Acme"})
    assert second.json()["slug"] == "acme-2"
    accented = await http.post("/api/orgs", json={"name": "  Café Ünïcode!  "})
    assert accented.json()["slug"] == "cafe-unicode"
    assert accented.json()["name"] == "Café Ünïcode!"
    taken = await http.post("/api/orgs", json={"name": "X", "slug": "acme"})
    assert taken.status_code == 409
    assert "taken" in taken.json()["detail"]
    reserved = await http.post("/api/orgs", json={"name": "X", "slug": "new"})
    assert reserved.status_code == 409
    assert (await http.post("/api/orgs", json={"name": "new"})).json()["slug"] == "new-org"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": 5},
        {"name": "ok", "slug": "Has Spaces"},
        {"name": "ok", "slug": "-dash"},
        {"name": "ok", "unknown": 1},
    ],
)
async def test_bad_org_input_is_a_422_that_says_what_to_fix(
    sign_in: SignIn, personas: Personas, body: dict[str, object]
) -> None:
    http = await sign_in(personas.owner)
    response = await http.post("/api/orgs", json=body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(("The ", "'unknown' is not a field here"))
    assert response.json()["errors"][0]["field"] in ("name", "slug", "unknown")
    assert len((await http.get("/api/orgs")).json()) == 1  # nothing was created


async def test_rename_and_change_slug(sign_in: SignIn, personas: Personas) -> None:
    admin = await sign_in(personas.admin)
    renamed = await admin.patch("/api/orgs/acme", json={"name": "Acme Corp", "slug": "acme-corp"})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["slug"]) == ("Acme Corp", "acme-corp")
    assert (await admin.get("/api/orgs/acme")).status_code == 404
    assert (await admin.get("/api/orgs/acme-corp")).status_code == 200
    clash = await admin.patch("/api/orgs/acme-corp", json={"slug": "globex"})
    assert clash.status_code == 409


async def test_delete_ends_access_and_owner_can_restore(
    sign_in: SignIn, personas: Personas
) -> None:
    owner = await sign_in(personas.owner)
    member = await sign_in(personas.member)
    admin = await sign_in(personas.admin)
    assert (await admin.delete("/api/orgs/acme")).status_code == 403
    assert (await owner.delete("/api/orgs/acme")).status_code == 204
    assert (await member.get("/api/orgs/acme")).status_code == 404
    assert (await owner.get("/api/orgs")).json() == []
    deleted = (await owner.get("/api/orgs", params={"include_deleted": "true"})).json()
    assert deleted[0]["deleted_at"] is not None
    # While deleted, the org exists for its owners only.
    assert (await admin.post("/api/orgs/acme/restore")).status_code == 404
    for other in (admin, member):
        listed = await other.get("/api/orgs", params={"include_deleted": "true"})
        assert listed.json() == []
    restored = await owner.post("/api/orgs/acme/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert (await member.get("/api/orgs/acme")).status_code == 200
    again = await owner.post("/api/orgs/acme/restore")
    assert again.status_code == 409


async def test_signed_out_callers_get_401(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", "/api/orgs"), ("POST", "/api/orgs"), ("GET", "/api/me")):
        response = await client.request(method, path, json={"name": "x"})
        assert response.status_code == 401
        assert response.json()["detail"]


async def test_a_bad_authorization_header_is_a_401(client: httpx.AsyncClient) -> None:
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "Bearer isk_nope"):
        response = await client.get("/api/orgs/acme", headers={"Authorization": header})
        assert response.status_code == 401, header


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ünïcødé Crew", "unicode-crew"),
        ("東京チーム", "dong-jing-timu"),
        ("Ελληνική ομάδα", "ellenike-omada"),
        ("!!!", "org"),
    ],
)
async def test_slugs_of_names_in_any_script_are_transliterated(
    sign_in: SignIn, personas: Personas, name: str, slug: str
) -> None:
    http = await sign_in(personas.owner)
    preview = await http.get("/api/org-slug", params={"name": name})
    assert preview.status_code == 200
    assert preview.json() == {"slug": slug}
    created = await http.post("/api/orgs", json={"name": name})
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["slug"]) == (name, slug)
    # The preview now says what a second org of that name would get.
    again = await http.get("/api/org-slug", params={"name": name})
    assert again.json() == {"slug": f"{slug}-2"}


async def test_a_name_over_the_limit_is_refused_not_cut(
    sign_in: SignIn, personas: Personas
) -> None:
    http = await sign_in(personas.owner)
    long_name = "A" * 101
    response = await http.post("/api/orgs", json={"name": long_name})
    assert response.status_code == 422
    assert response.json()["detail"] == "The name can be at most 100 characters; shorten it."
    renamed = await http.patch("/api/orgs/acme", json={"name": long_name})
    assert renamed.status_code == 422
    assert (await http.get("/api/orgs/acme")).json()["name"] != long_name
    assert (await http.get("/api/org-slug", params={"name": long_name})).status_code == 422
    assert (await http.get("/api/org-slug", params={"name": "x"})).status_code == 200


async def test_the_slug_preview_needs_a_session(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/org-slug", params={"name": "Acme"})).status_code == 401
