"""One digest across many repositories, through the API and the fake GitHub: a list of
repositories or an owner's with include and exclude patterns, read in one batched
GraphQL read (the requests counted), the 422s, and the plan's monitors
limit counting repositories. The digest's whole text is a golden snapshot in
tests/writers/test_multi_repository_digest.py, made from the same world."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.github.credentials import store_github_token
from infrasync.kit.crypto import SecretBox
from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git
from tests.fakes.github_api import FakeGitHubAPI
from tests.fakes.http_server import serve_in_thread
from tests.fakes.openai_server import FakeOpenAI, Reply, served_fake_openai
from tests.writers.test_multi_repository_digest import THREE, three_repositories

KEY = Fernet.generate_key().decode()
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
WEEK = {"since": "2026-11-16", "until": "2026-11-23"}
TOKEN = "ghp_" + secrets.token_hex(18)  # made per run; no fixture holds a secret


@pytest.fixture
def github_api() -> Iterator[FakeGitHubAPI]:
    world = three_repositories()
    fake = FakeGitHubAPI(world=world)
    fake.add_token(TOKEN)
    with serve_in_thread(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture
def model() -> Iterator[FakeOpenAI]:
    with served_fake_openai() as fake:
        yield fake


@pytest.fixture
def settings_overrides(
    github_api: FakeGitHubAPI, tmp_path: Path, model: FakeOpenAI
) -> dict[str, object]:
    return {
        "github_api_url": github_api.base_url,
        "encryption_keys": KEY,
        "local_source_roots": (tmp_path,),
        "llm_base_url": f"{model.base_url}/v1",
        "llm_model": "test-model",
    }


def _facts(body: dict[str, Any]) -> list[dict[str, Any]]:
    content = str(body["messages"][1]["content"])
    return [json.loads(line) for line in content.splitlines()[1:] if line.startswith("{")]


def _grounded_answer(body: dict[str, Any]) -> str:
    """A good answer to facts across repositories: a sentence about a merged pull
    request of acme/api, citing it by its repository-prefixed id."""
    merged = next(
        part
        for part in _facts(body)
        if part.get("repository") == "acme/api" and part.get("list") == "Pull requests merged"
    )["items"][0]
    return json.dumps(
        {
            "headline": {
                "text": "A busy week across the repositories.",
                "cites": ["metric:commits"],
            },
            "sections": [
                {
                    "section": "shipped",
                    "sentences": [
                        {"text": f"acme/api shipped {merged['title']}.", "cites": [merged["id"]]}
                    ],
                }
            ],
        }
    )


async def _member(session: AsyncSession, personas: Personas, sign_in: SignIn) -> httpx.AsyncClient:
    await store_github_token(
        session,
        SecretBox.from_keys([KEY]),
        token=TOKEN,
        scopes="read:user,user:email",
        user_id=personas.member.id,
        github_login="member-of-acme",
    )
    await session.commit()
    return await sign_in(personas.member)


async def _create(member: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    made = await member.post("/api/orgs/acme/monitors", json={"writer": "builtin", **body})
    assert made.status_code == 201, made.text
    monitor: dict[str, Any] = made.json()
    return monitor


async def _digest(member: httpx.AsyncClient, monitor_id: str) -> dict[str, Any]:
    made = await member.post(f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true", json=WEEK)
    assert made.status_code == 201, made.text
    digest: dict[str, Any] = made.json()
    return digest


async def test_three_repositories_make_one_digest_in_one_batched_read(
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
    github_api: FakeGitHubAPI,
) -> None:
    member = await _member(session, personas, sign_in)
    monitor = await _create(member, repositories=THREE, name="Acme")
    assert monitor["repositories"] == THREE
    assert monitor["source"] == "acme/api, acme/web, acme/docs"
    assert monitor["source_kind"] == "github"
    assert monitor["github_owner"] is None
    read_back = (await member.get("/api/orgs/acme/monitors")).json()
    assert [(m["id"], m["repositories"]) for m in read_back] == [(monitor["id"], THREE)]

    github_api.reset_counts()
    digest = await _digest(member, monitor["id"])
    # Three repositories, this week and the previous one: six parts packed into one
    # query, the week's newcomers asked about in one more. Three single-repository
    # digests would have cost at least three reads.
    assert github_api.count("POST /graphql") == 2
    assert github_api.count() == 2  # and no REST call

    metrics, items = digest["metrics"], digest["items"]
    assert set(metrics["repositories"]) == set(THREE)
    each = metrics["repositories"]
    # The totals keep schema 1's meanings: the sums of what each repository counts.
    for key in ("commits", "prs_merged", "prs_opened", "issues_opened", "releases"):
        assert metrics[key] == sum(each[name][key] for name in THREE), key
    assert metrics["schema"] == 1
    assert all(each[name]["schema"] == 1 for name in THREE)
    assert each["acme/docs"]["commits"] == 0
    # Most active first, the quiet one last and flagged.
    assert [part["repository"]["name"] for part in items["repositories"]] == THREE
    assert [part["quiet"] for part in items["repositories"]] == [False, False, True]
    assert items["merged"] == []  # each repository's items are under its own name
    assert digest["repository"] == {
        "kind": "github",
        "name": "acme",
        "url": "https://github.com/acme",
        "revision": None,
    }

    text = digest["text"]
    assert text.startswith("# acme — Nov 16 to Nov 22, 2026\n\n**Across 3 repositories: ")
    assert "Quiet this week: acme/docs." in text
    assert text.index("## [acme/api]") < text.index("## [acme/web]")
    assert "## [acme/docs]" not in text


async def test_an_owners_repositories_are_listed_with_patterns_and_counted(
    sign_in: SignIn, personas: Personas, session: AsyncSession, github_api: FakeGitHubAPI
) -> None:
    member = await _member(session, personas, sign_in)
    github_api.reset_counts()
    everything = await _create(member, github_owner={"owner": "acme"})
    # Archived repositories and forks only when named exactly.
    assert everything["repositories"] == ["acme/api", "acme/docs", "acme/web"]
    assert everything["source"] == "acme/*"
    assert everything["name"] == "acme/*"
    assert everything["github_owner"]["include"] == ["*"]
    assert everything["github_owner"]["resolved_at"] is not None
    assert github_api.count("POST /graphql") == 1  # one page lists up to 100

    narrowed = await _create(
        member,
        github_owner={"owner": "acme", "include": ["*", "legacy"], "exclude": ["d*", "web"]},
    )
    assert narrowed["repositories"] == ["acme/api", "acme/legacy"]

    github_api.reset_counts()
    digest = await _digest(member, everything["id"])
    # The owner listed again (one request), then the same batched read as a list.
    assert github_api.count("POST /graphql") == 3
    assert [p["repository"]["name"] for p in digest["items"]["repositories"]] == [
        "acme/api",
        "acme/web",
        "acme/docs",
    ]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"github_owner": {"owner": "acme", "include": ["api/*"]}}, "is not a pattern"),
        ({"github_owner": {"owner": "acme", "include": ["[ab"]}}, "without its ']'"),
        ({"github_owner": {"owner": "acme", "include": ["nothing-*"]}}, "none of acme's"),
        ({"github_owner": {"owner": "-bad-"}}, "not a GitHub user or organization"),
        ({"repositories": ["acme/api", "not a repo"]}, "is neither owner/repo"),
        ({"repositories": ["/srv/one", "/srv/two"]}, "A local git monitor reads one"),
        ({"source": "acme/api", "repositories": THREE}, "not source and repositories"),
        ({}, "Give source (one repository), repositories"),
    ],
)
async def test_bad_selections_are_a_422_that_says_what_to_fix(
    sign_in: SignIn,
    personas: Personas,
    session: AsyncSession,
    body: dict[str, Any],
    complaint: str,
) -> None:
    member = await _member(session, personas, sign_in)
    refused = await member.post("/api/orgs/acme/monitors", json=body)
    assert refused.status_code == 422, refused.text
    assert complaint in refused.json()["detail"]
    assert (await member.get("/api/orgs/acme/monitors")).json() == []


async def test_a_local_git_monitor_stays_single_repository(
    sign_in: SignIn, personas: Personas, session: AsyncSession, tmp_path: Path
) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "f").write_text("x")
    git(repo, "add", ".", when="2026-11-17T10:00:00Z")
    git(repo, "commit", "-q", "-m", "Start", when="2026-11-17T10:00:00Z")
    member = await _member(session, personas, sign_in)
    local = await _create(member, source=str(repo))
    assert local["repositories"] == []
    assert local["source_kind"] == "git"
    refused = await member.patch(
        f"/api/orgs/acme/monitors/{local['id']}", json={"repositories": THREE}
    )
    assert refused.status_code == 422
    assert "A local git monitor reads one repository" in refused.json()["detail"]


async def test_a_monitor_switches_between_one_and_several_repositories(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    member = await _member(session, personas, sign_in)
    single = await _create(member, source="acme/api")
    assert single["repositories"] == ["acme/api"]
    assert single["source"] == "acme/api"
    url = f"/api/orgs/acme/monitors/{single['id']}"
    several = await member.patch(url, json={"repositories": ["acme/api", "acme/web"]})
    assert several.status_code == 200, several.text
    assert several.json()["repositories"] == ["acme/api", "acme/web"]
    back = await member.patch(url, json={"repositories": ["acme/web"]})
    assert (back.json()["source"], back.json()["repositories"]) == ("acme/web", ["acme/web"])


async def test_the_ai_writer_cites_items_by_their_repository(
    sign_in: SignIn, personas: Personas, session: AsyncSession, model: FakeOpenAI
) -> None:
    member = await _member(session, personas, sign_in)
    monitor = await _create(member, repositories=THREE, writer="llm")
    model.script = [Reply(_grounded_answer)]
    digest = await _digest(member, monitor["id"])
    assert digest["writer"] == "llm", digest["writer_note"]
    grounding = digest["grounding"]
    assert grounding["used"] is True
    assert all(check["passed"] for check in grounding["checks"])
    (cited,) = [c for c in grounding["cited_items"] if c.startswith("pr:")]
    assert cited.startswith("pr:acme/api#")
    number = cited.rsplit("#", 1)[1]
    # The link is ours, into the right repository.
    assert f"(https://github.com/acme/api/pull/{number})" in digest["text"]
    prompt = model.requests[0]["messages"]
    assert "The facts cover several repositories" in prompt[0]["content"]


# The plan's monitors limit counts repositories -----------------------------------------


@pytest.fixture
def saas(settings_overrides: dict[str, object]) -> dict[str, object]:
    settings_overrides["billing_mode"] = "saas"
    return settings_overrides


def _refused_for_monitors(response: httpx.Response) -> str:
    assert response.status_code == 402, response.text
    assert response.json()["limit"] == "monitors"
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.usefixtures("saas")
async def test_the_free_plan_counts_each_repository_of_a_monitor(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    member = await _member(session, personas, sign_in)  # the free plan: 3 monitors
    over = await member.post(
        "/api/orgs/acme/monitors",
        json={"repositories": [*THREE, "acme/legacy"], "writer": "builtin"},
    )
    detail = _refused_for_monitors(over)
    assert "this monitor follows 4" in detail
    assert "has 0" in detail
    at_limit = await _create(member, repositories=THREE)  # 3 of 3
    one_more = await member.post(
        "/api/orgs/acme/monitors", json={"source": "acme/legacy", "writer": "builtin"}
    )
    assert "has 3" in _refused_for_monitors(one_more)

    # Paused, it takes no slot; resumed, it takes its three again.
    url = f"/api/orgs/acme/monitors/{at_limit['id']}"
    assert (await member.patch(url, json={"paused": True})).status_code == 200
    await _create(member, source="acme/legacy")
    _refused_for_monitors(await member.patch(url, json={"paused": False}))
    # Edited to fewer repositories it fits: 1 + 2 = 3.
    fewer = await member.patch(
        url, json={"paused": False, "repositories": ["acme/api", "acme/web"]}
    )
    assert fewer.status_code == 200, fewer.text
    assert fewer.json()["paused"] is False
    _refused_for_monitors(await member.patch(url, json={"repositories": THREE}))


@pytest.mark.usefixtures("saas")
async def test_an_owners_repositories_count_as_listed(
    sign_in: SignIn, personas: Personas, session: AsyncSession
) -> None:
    member = await _member(session, personas, sign_in)
    # acme has api, docs and web (and an archived one and a fork, not followed): 3 of 3.
    await _create(member, github_owner={"owner": "acme"})
    detail = _refused_for_monitors(
        await member.post(
            "/api/orgs/acme/monitors",
            json={"github_owner": {"owner": "acme", "include": ["legacy"]}, "writer": "builtin"},
        )
    )
    assert "has 3" in detail
