"""Which schema-1 metrics analytics can chart, where each one sits in `digests.metrics`,
and how digests are combined into one figure. Plain data: the repository turns it into
SQL, the service and the docs (docs/analytics.md) name it to people.

How figures combine is the whole point of this table, because most of them must NOT be
added up:
- `sum`: counts of events in a window (commits, merged pull requests…) add up over
  digests: a month's merged pull requests are its weeks' merged pull requests.
- `sum_of_latest`: counts of a state at a window's end (pull requests open, stale) are
  a snapshot; a month's is the last digest's of each monitor, then summed over monitors.
  Adding four weekly snapshots would count the same open pull request four times.
- `weighted_median_of_digests`: a median is never added or averaged. The bucket's value
  is the weighted median of its digests' medians, each weighted by how many pull requests
  it is the median of (`weighted_by`); with equal weights this is the usual median.
- `median_of_digests`: the same where the stored figures carry no count (time to first
  review: schema 1 does not keep how many reviews its median is over), every digest
  weighing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Aggregation = Literal["sum", "sum_of_latest", "weighted_median_of_digests", "median_of_digests"]
Unit = Literal["count", "people", "hours"]


@dataclass(frozen=True)
class Metric:
    name: str
    # Keys into `digests.metrics` (its top level: for a digest of several repositories
    # these are the totals, `metrics.repositories[...]` holding each one's own).
    path: tuple[str, ...]
    aggregation: Aggregation
    unit: Unit
    # For a weighted median: the count each digest's median stands for.
    weighted_by: str | None = None

    @property
    def is_median(self) -> bool:
        return self.aggregation in ("weighted_median_of_digests", "median_of_digests")


# In SPEC §7's order. People are counted once per digest: the stored figures cannot tell
# whether this week's author is last week's too, so a person active in two weeks (or in
# two monitors) counts twice.
_WHOLE_NUMBERS: tuple[tuple[str, Aggregation, Unit], ...] = (
    ("commits", "sum", "count"),
    ("authors", "sum", "people"),
    ("prs_opened", "sum", "count"),
    ("prs_merged", "sum", "count"),
    ("prs_closed_unmerged", "sum", "count"),
    ("prs_open_at_end", "sum_of_latest", "count"),
    ("prs_stale", "sum_of_latest", "count"),
    ("issues_opened", "sum", "count"),
    ("issues_closed", "sum", "count"),
    ("releases", "sum", "count"),
    ("contributors", "sum", "people"),
    ("first_time_contributors", "sum", "people"),
)

METRICS: dict[str, Metric] = {
    **{name: Metric(name, (name,), how, unit) for name, how, unit in _WHOLE_NUMBERS},
    "time_to_merge_hours.median": Metric(
        "time_to_merge_hours.median",
        ("time_to_merge_hours", "median"),
        "weighted_median_of_digests",
        "hours",
        weighted_by="prs_merged",
    ),
    # The weighted median of the digests' p90s: a typical period's p90, not the p90 of
    # every pull request in the bucket (which the stored figures cannot give).
    "time_to_merge_hours.p90": Metric(
        "time_to_merge_hours.p90",
        ("time_to_merge_hours", "p90"),
        "weighted_median_of_digests",
        "hours",
        weighted_by="prs_merged",
    ),
    "time_to_first_review_hours.median": Metric(
        "time_to_first_review_hours.median",
        ("time_to_first_review_hours", "median"),
        "median_of_digests",
        "hours",
    ),
}
# Shorter names people will try first.
ALIASES = {
    "time_to_merge_hours": "time_to_merge_hours.median",
    "time_to_first_review_hours": "time_to_first_review_hours.median",
}
KNOWN_NAMES = ", ".join(METRICS)
