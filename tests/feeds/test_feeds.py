"""Atom feeds of a monitor's digests: turned on, off and rotated by admins (audited),
read by a feed reader with no session at a URL whose token is shown once and stored
only as a hash; wrong, rotated, turned-off or deleted is a 404 alike."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser  # type: ignore[import-untyped]
import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrasync.feeds.atom import entry_html, xml_text
from infrasync.kit.time import utcnow
from infrasync.kit.tokens import hash_token
from infrasync.models import DigestRecord, Monitor, MonitorFeed, Org
from infrasync.observability.logging import configure_logging
from tests.conftest import Personas, SignIn, client_with
from tests.digests.test_digest_cli import git


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": Fernet.generate_key().decode()}


async def _monitor(session: AsyncSession, org: Org, name: str = "App") -> Monitor:
    monitor = Monitor(org_id=org.id, name=name, source="acme/app", source_kind="github")
    session.add(monitor)
    await session.commit()
    return monitor


async def _digests(session: AsyncSession, monitor: Monitor, count: int) -> list[DigestRecord]:
    """`count` digests of consecutive weeks, made a minute apart, oldest first."""
    start = utcnow().replace(microsecond=0) - timedelta(weeks=count + 1)
    records = []
    for week in range(count):
        since = start + timedelta(weeks=week)
        records.append(
            DigestRecord(
                org_id=monitor.org_id,
                monitor_id=monitor.id,
                period_since=since,
                period_until=since + timedelta(weeks=1),
                repository={"kind": "github", "name": "acme/app", "url": None},
                writer="builtin",
                text=f"# Week {week} of acme/app\n\nNothing shipped in week {week}.",
                metrics={"schema": 1},
                items={},
                trigger="schedule",
                created_at=utcnow() - timedelta(minutes=count - week),
            )
        )
    session.add_all(records)
    await session.commit()
    return records


def _path(url: str) -> str:
    return httpx.URL(url).raw_path.decode()


async def _read(app: FastAPI, url: str) -> httpx.Response:
    """The feed as a feed reader fetches it: no cookie, no key."""
    async with client_with(app) as reader:
        return await reader.get(_path(url))


def _parsed(response: httpx.Response, *, sanitize: bool = True) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content, sanitize_html=sanitize)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


async def test_a_feed_holds_the_last_50_digests_newest_first(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    records = await _digests(session, monitor, 55)
    admin = await sign_in(personas.admin)

    turned_on = await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")
    assert turned_on.status_code == 201, turned_on.text
    url = turned_on.json()["url"]
    assert url.startswith("http://127.0.0.1:8000/api/feeds/isf_")
    assert url.endswith(".atom")

    feed = _parsed(await _read(app, url))
    assert feed.feed.title == "App · Infrasync digests"
    newest = list(reversed(records))[:50]
    assert [e.id for e in feed.entries] == [f"urn:uuid:{r.id}" for r in newest]
    assert feed.entries[0].title == "Week 54 of acme/app"
    assert feed.entries[0].link == f"http://127.0.0.1:8000/orgs/acme/digests/{records[-1].id}"
    assert feed.entries[0].content[0].value == (
        "<h1>Week 54 of acme/app</h1>\n<p>Nothing shipped in week 54.</p>"
    )
    assert feed.entries[0].summary == "Written by the builtin writer."


async def test_the_url_is_shown_once_and_only_its_hash_is_kept(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    admin = await sign_in(personas.admin)
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    token = url.rsplit("/", 1)[1].removesuffix(".atom")

    listed = await admin.get("/api/orgs/acme/feeds")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["monitor_id"] == str(monitor.id)
    assert item["token_hint"] == token[:8]
    assert token not in listed.text
    assert "url" not in item
    stored = (await session.scalars(select(MonitorFeed))).one()
    assert stored.token_hash == hash_token(token)
    assert token not in json.dumps([stored.token_hash, stored.hint])

    again = await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")
    assert again.status_code == 409
    assert "already on" in again.json()["detail"]


async def test_wrong_rotated_disabled_and_deleted_feeds_are_404(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    await _digests(session, monitor, 2)
    admin = await sign_in(personas.admin)
    first = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    assert (await _read(app, first)).status_code == 200

    wrong = first[: -len(".atom") - 3] + "xyz.atom"
    for guess in (wrong, "http://x/api/feeds/isf_short.atom", "http://x/api/feeds/nope.atom"):
        missing = await _read(app, guess)
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith("No such feed")

    rotated = await admin.post(f"/api/orgs/acme/feeds/{monitor.id}/rotate")
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["url"]
    assert second != first
    assert rotated.json()["rotated_at"]
    assert (await _read(app, first)).status_code == 404
    assert (await _read(app, second)).status_code == 200

    assert (await admin.delete(f"/api/orgs/acme/feeds/{monitor.id}")).status_code == 204
    assert (await _read(app, second)).status_code == 404
    assert (await admin.get("/api/orgs/acme/feeds")).json()["items"] == []
    assert (await admin.delete(f"/api/orgs/acme/feeds/{monitor.id}")).status_code == 404
    assert (await admin.post(f"/api/orgs/acme/feeds/{monitor.id}/rotate")).status_code == 404

    third = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    assert (await _read(app, third)).status_code == 200
    assert (await admin.delete(f"/api/orgs/acme/monitors/{monitor.id}")).status_code == 204
    assert (await _read(app, third)).status_code == 404
    assert (await admin.get("/api/orgs/acme/feeds")).json()["items"] == []


async def test_only_admins_and_owners_manage_feeds_and_other_orgs_see_404(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    """A feed publishes the monitor's digests to anyone with its URL: members, who may
    make digests but not share the org's data outside it (SPEC §5), cannot."""
    monitor = await _monitor(session, personas.org)
    theirs = await _monitor(session, personas.other_org, "Theirs")
    paths = [
        ("PUT", f"/api/orgs/acme/feeds/{monitor.id}"),
        ("POST", f"/api/orgs/acme/feeds/{monitor.id}/rotate"),
        ("DELETE", f"/api/orgs/acme/feeds/{monitor.id}"),
        ("GET", "/api/orgs/acme/feeds"),
    ]
    for persona in (personas.member, personas.viewer):
        http = await sign_in(persona)
        for method, path in paths:
            assert (await http.request(method, path)).status_code == 403, (persona.login, path)
    outsider = await sign_in(personas.outsider)
    for method, path in paths:
        assert (await outsider.request(method, path)).status_code == 404, path
    # Another org's monitor, asked for through our org: as if it did not exist.
    owner = await sign_in(personas.owner)
    assert (await owner.put(f"/api/orgs/acme/feeds/{theirs.id}")).status_code == 404
    assert (await owner.put(f"/api/orgs/acme/feeds/{monitor.id}")).status_code == 201
    assert (await outsider.get("/api/orgs/globex/feeds")).json()["items"] == []
    assert (await outsider.delete(f"/api/orgs/globex/feeds/{monitor.id}")).status_code == 404


async def test_turning_on_rotating_and_off_are_audited_without_the_token(
    session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    admin = await sign_in(personas.admin)
    first = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    second = (await admin.post(f"/api/orgs/acme/feeds/{monitor.id}/rotate")).json()["url"]
    await admin.delete(f"/api/orgs/acme/feeds/{monitor.id}")

    log = await admin.get("/api/orgs/acme/audit", params={"limit": 10})
    events = [e for e in log.json()["items"] if e["action"].startswith("feed.")]
    assert [e["action"] for e in events] == ["feed.disable", "feed.rotate", "feed.enable"]
    for event in events:
        assert event["target"] == {"type": "monitor", "id": str(monitor.id), "label": "App"}
        assert event["actor"]["type"] == "user"
        assert event["actor"]["id"] == str(personas.admin.id)
    first_token = first.rsplit("/", 1)[1].removesuffix(".atom")
    second_token = second.rsplit("/", 1)[1].removesuffix(".atom")
    assert events[1]["details"]["token_hint"] == {"from": first_token[:8], "to": second_token[:8]}
    assert first_token not in log.text
    assert second_token not in log.text


async def test_html_in_titles_and_digests_arrives_escaped(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn, tmp_path: Path
) -> None:
    """A commit message `<script>alert(1)</script>`, through the builtin writer to the
    feed: text a reader shows as written, never markup it runs."""
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    when = "2026-11-03T10:00:00Z"
    for number, message in enumerate(
        ["<script>alert(1)</script>", '<img src=x onerror="alert(2)"> fix']
    ):
        (path / f"f{number}").write_text(str(number))
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", message, when=when)
    admin = await sign_in(personas.admin)
    made = await admin.post(
        "/api/orgs/acme/monitors", json={"source": str(path), "name": "<b>Team</b> & co"}
    )
    assert made.status_code == 201, made.text
    monitor_id = made.json()["id"]
    run = await admin.post(
        f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true",
        json={"since": "2026-11-02", "until": "2026-11-09"},
    )
    assert run.status_code == 201, run.text
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor_id}")).json()["url"]

    response = await _read(app, url)
    # feedparser sanitises by itself; read what we sent, as a reader that trusts it would.
    feed = _parsed(response, sanitize=False)
    assert feed.feed.title == "<b>Team</b> & co · Infrasync digests"
    assert feed.feed.title_detail.type == "text/plain"
    [entry] = feed.entries
    content = entry.content[0].value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "&lt;img src=x onerror=" in content
    lowered = content.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered


async def test_a_digest_titled_with_html_has_an_escaped_entry_title(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    [record] = await _digests(session, monitor, 1)
    record.text = "# <i>Week</i> of [acme/app](https://github.com/acme/app)\n\nQuiet."
    await session.commit()
    admin = await sign_in(personas.admin)
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    response = await _read(app, url)
    assert b"<title>&lt;i&gt;Week&lt;/i&gt; of acme/app</title>" in response.content
    [entry] = _parsed(response).entries
    assert entry.title == "<i>Week</i> of acme/app"
    assert entry.title_detail.type == "text/plain"


def test_entry_html_keeps_web_links_only() -> None:
    html = entry_html(
        "[web](https://example.com/a) [mail](mailto:a@example.com) [js](javascript:alert(1)) "
        "<a href=https://evil.example onclick=alert(1)>raw</a>"
    )
    assert '<a href="https://example.com/a" rel="noopener noreferrer">web</a>' in html
    # The email channel keeps mailto: links; a feed reader's page gets web links alone.
    assert re.findall(r'href="([^"]*)"', html) == ["https://example.com/a"]
    assert "&lt;a href=https://evil.example onclick=alert(1)&gt;raw&lt;/a&gt;" in html


def test_characters_xml_cannot_carry_are_left_out() -> None:
    assert xml_text("a\x00b\x1bc\ttab\ud800") == "abc\ttab"


async def test_a_feed_request_logs_its_route_not_its_token(
    app: FastAPI,
    session: AsyncSession,
    personas: Personas,
    sign_in: SignIn,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monitor = await _monitor(session, personas.org)
    await _digests(session, monitor, 1)
    admin = await sign_in(personas.admin)
    configure_logging("json")
    capsys.readouterr()
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    rotated = (await admin.post(f"/api/orgs/acme/feeds/{monitor.id}/rotate")).json()["url"]
    assert (await _read(app, rotated)).status_code == 200
    assert (await _read(app, url)).status_code == 404
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    paths = [line["path"] for line in lines if line.get("event") == "request"]
    assert paths == [
        "/api/orgs/{org}/feeds/{monitor_id}",
        "/api/orgs/{org}/feeds/{monitor_id}/rotate",
        "/api/feeds/{token}.atom",
        "/api/feeds/{token}.atom",
    ]
    for token in (url, rotated):
        secret = token.rsplit("/", 1)[1].removesuffix(".atom")
        assert secret[4:16] not in err


async def test_a_feed_of_a_deleted_org_is_404(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    owner = await sign_in(personas.owner)
    url = (await owner.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    assert (await _read(app, url)).status_code == 200
    assert (await owner.delete("/api/orgs/acme")).status_code in (200, 202, 204)
    assert (await _read(app, url)).status_code == 404
    assert uuid.UUID(str(monitor.id))


async def test_a_feed_reader_polling_with_its_etag_gets_304_until_a_digest_is_added(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    monitor = await _monitor(session, personas.org)
    await _digests(session, monitor, 1)
    admin = await sign_in(personas.admin)
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    first = await _read(app, url)
    etag = first.headers["etag"]
    async with client_with(app, headers={"If-None-Match": etag}) as reader:
        unchanged = await reader.get(_path(url))
        assert unchanged.status_code == 304
        assert unchanged.content == b""
        session.add(
            DigestRecord(
                org_id=monitor.org_id,
                monitor_id=monitor.id,
                period_since=utcnow() - timedelta(days=1),
                period_until=utcnow(),
                repository={"kind": "github", "name": "acme/app", "url": None},
                writer="builtin",
                text="# Today\n\nNew.",
                metrics={"schema": 1},
                items={},
                trigger="manual",
            )
        )
        await session.commit()
        changed = await reader.get(_path(url))
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(_parsed(changed).entries) == 2


async def test_control_characters_xml_cannot_carry_are_left_out_of_the_feed(
    app: FastAPI, session: AsyncSession, personas: Personas, sign_in: SignIn
) -> None:
    """A commit message may hold an escape or a vertical tab; XML 1.0 cannot: they are
    left out, never a 500."""
    monitor = await _monitor(session, personas.org, "App\x1b")
    [record] = await _digests(session, monitor, 1)
    record.text = "# Week\x1b 1\n\nQuiet\x0b week."
    await session.commit()
    admin = await sign_in(personas.admin)
    url = (await admin.put(f"/api/orgs/acme/feeds/{monitor.id}")).json()["url"]
    feed = _parsed(await _read(app, url))
    assert feed.feed.title == "App · Infrasync digests"
    assert feed.entries[0].title == "Week 1"
    assert "Quiet week." in feed.entries[0].content[0].value
