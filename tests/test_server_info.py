from __future__ import annotations

import httpx
import pytest
from _pytest.fixtures import SubRequest


async def test_the_server_says_what_it_offers_to_anyone(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/server")
    assert response.status_code == 200
    assert response.json()["github_sign_in"] is False
    assert response.json()["local_sources"] is False
    assert response.json()["llm_writer"] is False


@pytest.mark.parametrize(
    ("settings_overrides", "field"),
    [
        ({"github_client_id": "Iv1.abc", "github_client_secret": "s3cret-value"}, "github_sign_in"),
        ({"local_source_roots": "/srv/git"}, "local_sources"),
        ({"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "gpt-x"}, "llm_writer"),
    ],
    indirect=["settings_overrides"],
)
async def test_each_offer_follows_its_setting(client: httpx.AsyncClient, field: str) -> None:
    body = (await client.get("/api/server")).json()
    assert body[field] is True
    assert sum(body[name] for name in ("github_sign_in", "local_sources", "llm_writer")) == 1
    assert "s3cret-value" not in str(body)


@pytest.fixture
def settings_overrides(request: SubRequest) -> dict[str, object]:
    return dict(getattr(request, "param", {}))
