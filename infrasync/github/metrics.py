"""Prometheus gauges of each token's GitHub budget, read from the rate-limit ledger when
scraped. Tokens are labelled by the first characters of their hash, never by value."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from infrasync.github.ratelimit import RateLimitLedger, shared_ledger

LABELS = ["token", "resource"]


class GitHubRateLimitCollector(Collector):
    def __init__(self, ledger: RateLimitLedger | None = None) -> None:
        self.ledger = ledger if ledger is not None else shared_ledger()

    def collect(self) -> Iterable[Metric]:
        remaining = GaugeMetricFamily(
            "infrasync_github_rate_limit_remaining",
            "Requests or points left in the token's current GitHub rate-limit window.",
            labels=LABELS,
        )
        limit = GaugeMetricFamily(
            "infrasync_github_rate_limit_limit",
            "The token's GitHub rate limit per window.",
            labels=LABELS,
        )
        reset = GaugeMetricFamily(
            "infrasync_github_rate_limit_reset_timestamp_seconds",
            "When the token's GitHub rate-limit window resets (Unix time).",
            labels=LABELS,
        )
        cost = GaugeMetricFamily(
            "infrasync_github_last_request_cost",
            "Points the last GitHub request on this token and resource cost.",
            labels=LABELS,
        )
        points = CounterMetricFamily(
            "infrasync_github_points",
            "GitHub rate-limit points spent by this process, per token and resource.",
            labels=LABELS,
        )
        for row in self.ledger.budget():
            labels = [row.token, row.resource]
            if row.remaining is not None:
                remaining.add_metric(labels, row.remaining)
            if row.limit is not None:
                limit.add_metric(labels, row.limit)
            if row.resets_at is not None:
                reset.add_metric(labels, row.resets_at.timestamp())
            if row.last_cost is not None:
                cost.add_metric(labels, row.last_cost)
            points.add_metric(labels, row.points_spent)
        return [remaining, limit, reset, cost, points]


def register_github_metrics(
    registry: CollectorRegistry, ledger: RateLimitLedger | None = None
) -> GitHubRateLimitCollector:
    """Adds the GitHub budget gauges to an app's or worker's registry."""
    collector = GitHubRateLimitCollector(ledger)
    registry.register(collector)
    return collector
