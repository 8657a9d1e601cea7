"""Pieces of GitHub search text built from strangers' values.

Its own module: the builtin writer links a bot's pull requests through GitHub's search
for a local digest too, which must not load the GraphQL query builder to do so.
"""

from __future__ import annotations

import re

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


def search_author(login: str, *, is_bot: bool) -> str | None:
    """The `author:` qualifier for a login, or None for one that is not a plain login
    (nothing else may reach the search text)."""
    bare = login.removesuffix("[bot]")
    if not _LOGIN.match(bare):
        return None
    return f"app/{bare}" if is_bot else bare
