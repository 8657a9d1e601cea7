"""GitHub as a source of activity: one repository, or many on one token at once."""

from __future__ import annotations

from collections.abc import Sequence

from infrasync.github.activity import ActivityRequest, RepoRef, fetch_activity
from infrasync.github.client import GitHubClient
from infrasync.sources.bots import DEFAULT_POLICY, BotPolicy
from infrasync.sources.model import Activity, ActivityFailure, ActivityOutcome, Window


class GitHubSource:
    def __init__(
        self,
        client: GitHubClient,
        repo: RepoRef,
        bots: BotPolicy = DEFAULT_POLICY,
        *,
        count_bots: bool = False,
        descriptions: bool = False,
    ) -> None:
        self.client = client
        self.repo = repo
        self.bots = bots
        self.count_bots = count_bots
        self.descriptions = descriptions

    async def activity(self, window: Window) -> Activity:
        """Raises the GitHubError that stopped it (see `GitHubError.permanent`)."""
        (activity,) = await self.activities([window])
        return activity

    async def activities(self, windows: Sequence[Window]) -> list[Activity]:
        """Several windows (this period and the previous one) in the same queries: about
        the cost of one."""
        requests = [
            ActivityRequest(
                self.repo,
                window,
                self.bots,
                count_bots=self.count_bots,
                descriptions=self.descriptions,
            )
            for window in windows
        ]
        outcomes = await fetch_activity(self.client, requests)
        for outcome in outcomes:
            if isinstance(outcome, ActivityFailure):
                raise outcome.error
        return [outcome for outcome in outcomes if isinstance(outcome, Activity)]


async def github_activities(
    client: GitHubClient, requests: Sequence[ActivityRequest]
) -> list[ActivityOutcome]:
    """Many repositories that share `client`'s token, batched into as few queries as
    possible; one repository's failure is its own."""
    return await fetch_activity(client, requests)
