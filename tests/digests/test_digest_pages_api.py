"""What the digests pages read: the list's headline, figures and filters, and each
channel's preview of one digest (viewers and up; another org's digest is a 404)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import Personas, SignIn
from tests.digests.test_digest_cli import git

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
WEEKS = (
    {"since": "2026-11-02", "until": "2026-11-09"},
    {"since": "2026-11-09", "until": "2026-11-16"},
)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    return {"local_source_roots": (tmp_path,), "encryption_keys": Fernet.generate_key().decode()}


def _repository(path: Path, subjects: list[tuple[str, str]]) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for number, (when, subject) in enumerate(subjects):
        (path / f"f{number}").write_text(str(number))
        git(path, "add", ".", when=when)
        git(path, "commit", "-q", "-m", subject, when=when)
    return path


async def _monitor_with_digests(
    member: httpx.AsyncClient, path: Path, weeks: tuple[dict[str, str], ...] = WEEKS
) -> tuple[str, list[str]]:
    made = await member.post("/api/orgs/acme/monitors", json={"source": str(path)})
    assert made.status_code == 201, made.text
    monitor_id: str = made.json()["id"]
    digests = []
    run_now = f"/api/orgs/acme/monitors/{monitor_id}/digests?wait=true"
    for week in weeks:
        run = await member.post(run_now, json=week)
        assert run.status_code == 201, run.text
        digests.append(run.json()["id"])
    return monitor_id, digests


@pytest.fixture
async def two_monitors(
    sign_in: SignIn, personas: Personas, tmp_path: Path
) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """Two monitors: `parser` with a digest of each week (3 commits, then 1), `hostile`
    with one of the second week whose commit message is markup."""
    member = await sign_in(personas.member)
    parser = _repository(
        tmp_path / "parser",
        [
            ("2026-11-03T10:00:00Z", "Add the parser"),
            ("2026-11-04T10:00:00Z", "Fix the parser"),
            ("2026-11-05T10:00:00Z", "Speed up the parser"),
            ("2026-11-10T10:00:00Z", "Document the parser"),
        ],
    )
    hostile = _repository(tmp_path / "hostile", [("2026-11-10T10:00:00Z", HOSTILE)])
    parser_id, (first, second) = await _monitor_with_digests(member, parser)
    hostile_id, (third,) = await _monitor_with_digests(member, hostile, WEEKS[1:])
    return member, {
        "parser": parser_id,
        "hostile": hostile_id,
        "parser_first": first,
        "parser_second": second,
        "hostile_digest": third,
    }


async def test_the_list_gives_each_digest_its_headline_and_figures(
    sign_in: SignIn, personas: Personas, two_monitors: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    _, ids = two_monitors
    viewer = await sign_in(personas.viewer)
    listed = await viewer.get("/api/orgs/acme/digests", params={"monitor_id": ids["parser"]})
    assert listed.status_code == 200, listed.text
    by_id = {d["id"]: d for d in listed.json()["items"]}
    assert set(by_id) == {ids["parser_first"], ids["parser_second"]}
    first, second = by_id[ids["parser_first"]], by_id[ids["parser_second"]]
    assert first["figures"]["commits"] == 3
    assert second["figures"]["commits"] == 1
    # A local repository has no pull requests: unknown, not 0.
    assert second["figures"]["prs_merged"] is None
    assert "previous" not in second["figures"]
    # The builtin writer's headline, without its Markdown (`**…**`, escapes).
    assert second["headline"].startswith("1 commit (↓2 from 3)")
    assert second["headline"].endswith(", against the previous period.")
    assert first["headline"].startswith("3 commits (↑3 from 0), 1 contributor (↑1 from 0)")


async def test_the_list_filters_by_monitor_and_by_period(
    two_monitors: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    member, ids = two_monitors

    async def listed(**params: str) -> set[str]:
        response = await member.get("/api/orgs/acme/digests", params=params)
        assert response.status_code == 200, response.text
        return {d["id"] for d in response.json()["items"]}

    every = {ids["parser_first"], ids["parser_second"], ids["hostile_digest"]}
    assert await listed() == every
    assert await listed(monitor_id=ids["hostile"]) == {ids["hostile_digest"]}
    assert await listed(until="2026-11-09T00:00:00Z") == {ids["parser_first"]}
    assert await listed(monitor_id=ids["parser"], since="2026-11-09T00:00:00Z") == {
        ids["parser_second"]
    }


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"since": "2026-11-09T00:00:00Z", "until": "2026-11-02T00:00:00Z"}, "before it starts"),
        ({"since": "2026-11-09T00:00:00Z", "until": "2026-11-09T00:00:00Z"}, "before it starts"),
        ({"since": "last tuesday"}, "since"),
        ({"monitor_id": "parser"}, "monitor ID"),
    ],
)
async def test_bad_list_filters_are_a_422_saying_what_to_fix(
    sign_in: SignIn, personas: Personas, params: dict[str, str], complaint: str
) -> None:
    viewer = await sign_in(personas.viewer)
    response = await viewer.get("/api/orgs/acme/digests", params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert complaint in detail
    assert detail.endswith(".")


async def test_the_preview_gives_each_channels_form(
    sign_in: SignIn, personas: Personas, two_monitors: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    _, ids = two_monitors
    viewer = await sign_in(personas.viewer)
    response = await viewer.get(f"/api/orgs/acme/digests/{ids['parser_second']}/preview")
    assert response.status_code == 200, response.text
    preview = response.json()
    digest = (await viewer.get(f"/api/orgs/acme/digests/{ids['parser_second']}")).json()
    assert preview["markdown"] == digest["text"]
    slack_text = str(preview["slack"])
    assert preview["slack"][0]["blocks"][0]["type"] == "header"
    assert "Document the parser" in slack_text
    assert preview["discord"][0]["allowed_mentions"] == {"parse": []}
    assert "Document the parser" in str(preview["discord"])
    email = preview["email"]
    assert email["subject"].startswith("parser — Nov 9 to Nov 15, 2026")
    assert "Document the parser" in email["html"]
    assert "Document the parser" in email["text"]
    # Shown in a page under a policy without inline styles: the body carries none.
    assert "style=" not in email["html"]
    assert "<body" not in email["html"]


async def test_hostile_text_in_a_preview_stays_text(
    sign_in: SignIn, personas: Personas, two_monitors: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    _, ids = two_monitors
    viewer = await sign_in(personas.viewer)
    response = await viewer.get(f"/api/orgs/acme/digests/{ids['hostile_digest']}/preview")
    assert response.status_code == 200, response.text
    html = response.json()["email"]["html"]
    assert "&lt;script&gt;" in html
    # The markup is there as text, never as a tag or a link that runs something.
    for executable in ("<script", "<img", 'href="javascript'):
        assert executable not in html.lower()


async def test_another_orgs_digest_has_no_preview(
    sign_in: SignIn, personas: Personas, two_monitors: tuple[httpx.AsyncClient, dict[str, str]]
) -> None:
    _, ids = two_monitors
    outsider = await sign_in(personas.outsider)
    foreign = await outsider.get(f"/api/orgs/acme/digests/{ids['parser_first']}/preview")
    assert foreign.status_code == 404
    own_org = f"/api/orgs/{personas.other_org.slug}/digests/{ids['parser_first']}/preview"
    elsewhere = await outsider.get(own_org)
    assert elsewhere.status_code == 404, elsewhere.text
    missing = await outsider.get(
        f"/api/orgs/{personas.other_org.slug}/digests/00000000-0000-4000-8000-000000000000/preview"
    )
    assert elsewhere.json() == missing.json()
