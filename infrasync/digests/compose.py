"""From activity to a finished digest: metrics, items, and text by the chosen writer."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Literal

from infrasync.config import Settings
from infrasync.digests.document import Digest, build_items, period_of, repository_of
from infrasync.digests.grounding import GroundingReport
from infrasync.digests.metrics import DEFAULT_STALE_AFTER, compute_metrics
from infrasync.renderers.outline import shorten
from infrasync.sources.model import Activity
from infrasync.writers import builtin, llm

WriterChoice = Literal["auto", "builtin", "llm"]
# The stored note's room (digests.writer_note): a note that says every failed check of two
# answers can be longer, and would fail the insert on Postgres.
MAX_NOTE_CHARS = 1000


async def compose(
    activity: Activity,
    previous: Activity | None,
    settings: Settings,
    *,
    writer: WriterChoice = "auto",
    include_bots: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    llm_timeout_s: float = llm.REQUEST_TIMEOUT_S,
    sections: Collection[str] = builtin.ALL_SECTIONS,
    pr_descriptions: bool = False,
) -> Digest:
    """A digest of `activity`'s window. The LLM writer is used when chosen (or, with
    `auto`, when a model is configured); if it fails for any reason the builtin writer
    writes the digest and `writer_note` says why — a digest is never lost to a model.
    `grounding` reports what the checks found of the model's last answer, whichever
    writer's text the digest holds."""
    metrics = compute_metrics(
        activity, previous, include_bots=include_bots, stale_after=stale_after
    )
    items = build_items(activity, include_bots=include_bots, stale_after=stale_after)
    repository, period = repository_of(activity), period_of(activity)
    note: str | None = None
    grounding: GroundingReport | None = None
    if writer == "llm" or (writer == "auto" and llm.configured(settings)):
        try:
            written = await llm.write(
                settings,
                repository,
                period,
                metrics,
                items,
                timeout_s=llm_timeout_s,
                descriptions=_descriptions(activity) if pr_descriptions else None,
                sections=sections,
            )
        except llm.WriterFailed as failure:
            note = shorten(f"The LLM writer did not write this digest: {failure}.", MAX_NOTE_CHARS)
            grounding = failure.report
        else:
            return Digest(
                repository=repository,
                period=period,
                writer="llm",
                text=written.text,
                metrics=metrics,
                items=items,
                grounding=written.report,
            )
    return Digest(
        repository=repository,
        period=period,
        writer="builtin",
        writer_note=note,
        text=builtin.write(repository, period, metrics, items, sections),
        metrics=metrics,
        items=items,
        grounding=grounding,
    )


def _descriptions(activity: Activity) -> dict[int, str]:
    """Pull request number -> description, for a monitor that lets its AI writer read them."""
    return {
        pull.number: pull.description for pull in activity.pull_requests or () if pull.description
    }
