"""A 422 reads as sentences a person understands, each tied to its field (issue 15):
never pydantic's "body.email: value is not a valid email address…" or "path.digest_id:
Input should be a valid UUID"."""

from __future__ import annotations

import pytest

from tests.conftest import Personas, SignIn


@pytest.mark.parametrize(
    ("path", "body", "field", "sentence"),
    [
        ("/api/orgs", {"name": "x" * 101}, "name", "The name can be at most 100 characters"),
        ("/api/orgs", {"name": "  "}, "name", "The name cannot be empty."),
        ("/api/orgs", {}, "name", "The name is required."),
        ("/api/orgs", {"name": 5}, "name", "The name must be text."),
        ("/api/orgs", {"name": "ok", "slug": "Has Spaces"}, "slug", "The slug does not fit"),
        ("/api/orgs", {"name": "ok", "colour": "red"}, "colour", "'colour' is not a field here"),
        (
            "/api/orgs/acme/invites",
            {"email": "nobody", "role": "member"},
            "email",
            "The email address is not valid: an email address must have an @-sign.",
        ),
        (
            "/api/orgs/acme/invites",
            {"email": "a@example.com", "role": "emperor"},
            "role",
            "The role must be 'owner', 'admin', 'member' or 'viewer'.",
        ),
    ],
)
async def test_a_422_names_the_field_and_says_what_to_fix(
    sign_in: SignIn,
    personas: Personas,
    path: str,
    body: dict[str, object],
    field: str,
    sentence: str,
) -> None:
    http = await sign_in(personas.owner)
    response = await http.post(path, json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["detail"].startswith(sentence)
    assert [problem["field"] for problem in answer["errors"]] == [field]
    assert answer["errors"][0]["message"].startswith(sentence)
    # No Python location or pydantic wording reaches the sentence.
    assert "body." not in answer["detail"]
    assert "Input should" not in answer["detail"]
    assert "String should" not in answer["detail"]


async def test_a_bad_id_in_the_address_says_so_in_words(
    sign_in: SignIn, personas: Personas
) -> None:
    http = await sign_in(personas.viewer)
    response = await http.get("/api/orgs/acme/digests/not-an-id")
    assert response.status_code == 422
    assert (
        response.json()["detail"]
        == "The digest ID in the address is not a valid ID; check the link."
    )
    assert response.json()["errors"][0]["field"] == "digest_id"


async def test_several_problems_are_each_a_sentence(sign_in: SignIn, personas: Personas) -> None:
    http = await sign_in(personas.owner)
    response = await http.post("/api/orgs/acme/invites", json={"email": "nobody", "role": "x"})
    problems = response.json()["errors"]
    assert sorted(problem["field"] for problem in problems) == ["email", "role"]
    for problem in problems:
        assert problem["message"] in response.json()["detail"]


async def test_our_own_checks_name_their_field(sign_in: SignIn, personas: Personas) -> None:
    http = await sign_in(personas.admin)
    response = await http.post(
        "/api/orgs/acme/channels",
        json={"name": "Team", "kind": "slack", "addresses": ["a@example.com"]},
    )
    assert response.status_code == 422
    problem = response.json()["errors"][0]
    assert problem["field"] == "addresses"
    assert problem["message"] == "A slack channel has a URL, not addresses."
