"""The plans and their limits: the one place they are written down (README and the web
app's billing page show these same numbers, from `GET /api/orgs/{org}/billing`).

Self-hosted servers (`INFRASYNC_BILLING_MODE=self_hosted`, the default) have no plans and
no limits: `limits_for(None)` is the unlimited set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

PlanName = Literal["free", "pro"]
LimitName = Literal["monitors", "channels", "members", "schedule", "ai_writer", "history_days"]

# How often a schedule may fire, from least to most often. A plan names the most frequent
# kind it allows; `manual` is always allowed.
SCHEDULE_RANK: Final[dict[str, int]] = {"manual": 0, "weekly": 1, "daily": 2, "cron": 3}
SCHEDULE_WORDS: Final[dict[str, str]] = {
    "manual": "by hand only",
    "weekly": "weekly",
    "daily": "daily",
    "cron": "cron, down to every 15 minutes",
}

# A subscription that is `past_due` keeps pro for this long after its unpaid period began
# (Stripe retries the card meanwhile), then the org is downgraded.
PAST_DUE_GRACE: Final = timedelta(days=7)


@dataclass(frozen=True)
class Limits:
    """What an org may have. None means no limit."""

    # Active (not paused) monitors, each repository of a multi-repository monitor counted.
    monitors: int | None
    channels: int | None
    members: int | None  # members plus pending invites
    schedule: str  # the most frequent schedule kind allowed
    ai_writer: bool
    history_days: int | None  # how long digests are kept


PLANS: Final[dict[str, Limits]] = {
    "free": Limits(
        monitors=3, channels=2, members=3, schedule="weekly", ai_writer=False, history_days=30
    ),
    "pro": Limits(
        monitors=50, channels=25, members=50, schedule="cron", ai_writer=True, history_days=365
    ),
}
UNLIMITED: Final = Limits(
    monitors=None, channels=None, members=None, schedule="cron", ai_writer=True, history_days=None
)

# What each limit is called in a sentence, and how to stay within it without upgrading.
LIMIT_WORDS: Final[dict[str, tuple[str, str]]] = {
    "monitors": (
        "active monitors (repositories followed)",
        "pause or delete a monitor, or have one follow fewer repositories",
    ),
    "channels": ("channels", "delete a channel"),
    "members": ("members and pending invites", "remove a member or revoke an invite"),
    "schedule": ("schedule", "choose a weekly or manual schedule"),
    "ai_writer": ("AI writer", "choose the builtin writer"),
    "history_days": ("digest history", "nothing: older digests are pruned"),
}


def limits_for(plan: str | None) -> Limits:
    """The limits of `plan`; None (a self-hosted server) has none."""
    return UNLIMITED if plan is None else PLANS[plan]


def schedule_allowed(limits: Limits, kind: str) -> bool:
    return SCHEDULE_RANK.get(kind, 0) <= SCHEDULE_RANK[limits.schedule]
