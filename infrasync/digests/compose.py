"""From activity to a finished digest: metrics, items, and text by the chosen writer."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Literal

from infrasync.config import Settings
from infrasync.digests.document import Digest, build_items, period_of, repository_of
from infrasync.digests.metrics import DEFAULT_STALE_AFTER, compute_metrics
from infrasync.sources.model import Activity
from infrasync.writers import builtin, llm

WriterChoice = Literal["auto", "builtin", "llm"]


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
    writes the digest and `writer_note` says why — a digest is never lost to a model."""
    metrics = compute_metrics(
        activity, previous, include_bots=include_bots, stale_after=stale_after
    )
    items = build_items(activity, include_bots=include_bots, stale_after=stale_after)
    repository, period = repository_of(activity), period_of(activity)
    note: str | None = None
    if writer == "llm" or (writer == "auto" and llm.configured(settings)):
        try:
            text = await llm.write(
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
            note = f"The LLM writer did not write this digest: {failure}."
        else:
            return Digest(
                repository=repository,
                period=period,
                writer="llm",
                text=text,
                metrics=metrics,
                items=items,
            )
    return Digest(
        repository=repository,
        period=period,
        writer="builtin",
        writer_note=note,
        text=builtin.write(repository, period, metrics, items, sections),
        metrics=metrics,
        items=items,
    )


def _descriptions(activity: Activity) -> dict[int, str]:
    """Pull request number -> description, for a monitor that lets its AI writer read them."""
    return {
        pull.number: pull.description for pull in activity.pull_requests or () if pull.description
    }
