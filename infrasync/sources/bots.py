"""Which authors are bots. Metrics and people lists leave bots out by default, so a
dependency bot's forty pull requests do not read as a busy week for the team."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Logins (without GitHub's `[bot]` suffix) and git author names of the usual automation.
DEFAULT_BOTS = frozenset(
    {
        "allcontributors",
        "codecov",
        "copilot",
        "dependabot",
        "dependabot-preview",
        "github-actions",
        "greenkeeper",
        "imgbot",
        "mergify",
        "pre-commit-ci",
        "release-please",
        "renovate",
        "renovate-bot",
        "semantic-release-bot",
        "snyk-bot",
        "stale",
    }
)

_BOT_SUFFIX = "[bot]"


def _normalise(identity: str) -> str:
    # GitHub spells one bot `dependabot[bot]` (REST, commit authors), `dependabot`
    # (GraphQL) and `app/dependabot` (search).
    value = identity.strip().lower().removeprefix("app/")
    return value.removesuffix(_BOT_SUFFIX)


@dataclass(frozen=True)
class BotPolicy:
    """The default list plus a monitor's own (`extra`: logins, git names or emails)."""

    extra: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def with_extra(cls, names: Iterable[str]) -> BotPolicy:
        return cls(extra=frozenset(_normalise(name) for name in names if name.strip()))

    def is_bot(
        self,
        *,
        login: str | None = None,
        name: str | None = None,
        email: str | None = None,
        account_type: str | None = None,
    ) -> bool:
        if account_type == "Bot":
            return True
        for identity in (login, name):
            if identity and self._names_a_bot(identity):
                return True
        if email:
            local = email.lower().partition("@")[0]
            # `49699333+dependabot[bot]@users.noreply.github.com`
            if local.endswith(_BOT_SUFFIX) or _normalise(email) in self.extra:
                return True
        return False

    def _names_a_bot(self, identity: str) -> bool:
        if identity.strip().lower().endswith(_BOT_SUFFIX):
            return True
        normalised = _normalise(identity)
        return normalised in DEFAULT_BOTS or normalised in self.extra


DEFAULT_POLICY = BotPolicy()
