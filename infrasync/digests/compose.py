"""From activity to a finished digest: metrics, items, and text by the chosen writer."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Literal

from infrasync.config import Settings
from infrasync.digests.document import (
    Digest,
    DigestItems,
    Period,
    Repository,
    RepositoryPart,
    build_items,
    by_activity,
    is_quiet,
    period_of,
    repository_of,
    several_repositories,
)
from infrasync.digests.grounding import GroundingReport
from infrasync.digests.metrics import (
    DEFAULT_STALE_AFTER,
    MetricsV1,
    compute_many_metrics,
    compute_metrics,
)
from infrasync.renderers.outline import shorten
from infrasync.sources.model import Activity
from infrasync.writers import builtin

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
    llm_timeout_s: float | None = None,
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
    return await _written(
        settings,
        repository_of(activity),
        period_of(activity),
        metrics,
        items,
        writer=writer,
        llm_timeout_s=llm_timeout_s,
        sections=sections,
        descriptions=_descriptions(activity) if pr_descriptions else None,
    )


async def compose_many(
    pairs: Sequence[tuple[Activity, Activity | None]],
    settings: Settings,
    *,
    writer: WriterChoice = "auto",
    include_bots: bool = False,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    llm_timeout_s: float | None = None,
    sections: Collection[str] = builtin.ALL_SECTIONS,
    pr_descriptions: bool = False,
) -> Digest:
    """One digest of several repositories' (activity, previous) of the same window: the
    totals and each repository's metrics, each one's items (most active first, quiet ones
    last), and one text by the chosen writer, as `compose` makes for one."""
    metrics = compute_many_metrics(
        [(current.source.name, current, previous) for current, previous in pairs],
        include_bots=include_bots,
        stale_after=stale_after,
    )
    assert metrics.repositories is not None
    parts = []
    for current, _ in pairs:
        items = build_items(current, include_bots=include_bots, stale_after=stale_after)
        figures = metrics.repositories[current.source.name]
        parts.append(
            RepositoryPart(
                repository=repository_of(current),
                quiet=is_quiet(figures, items),
                items=items,
            )
        )
    ordered = by_activity(parts, metrics.repositories)
    descriptions = (
        {current.source.name: _descriptions(current) for current, _ in pairs}
        if pr_descriptions
        else None
    )
    return await _written(
        settings,
        several_repositories([part.repository for part in parts]),
        period_of(pairs[0][0]),
        metrics,
        DigestItems(repositories=tuple(ordered)),
        writer=writer,
        llm_timeout_s=llm_timeout_s,
        sections=sections,
        repository_descriptions=descriptions,
    )


async def _written(
    settings: Settings,
    repository: Repository,
    period: Period,
    metrics: MetricsV1,
    items: DigestItems,
    *,
    writer: WriterChoice,
    llm_timeout_s: float | None,
    sections: Collection[str],
    descriptions: dict[int, str] | None = None,
    repository_descriptions: dict[str, dict[int, str]] | None = None,
) -> Digest:
    note: str | None = None
    grounding: GroundingReport | None = None
    if writer == "llm" or (writer == "auto" and settings.llm_configured):
        # Imported here: the AI writer (and the openai SDK and structlog with it) costs a
        # local digest by the builtin writer a tenth of a second to import.
        from infrasync.writers import llm

        try:
            written = await llm.write(
                settings,
                repository,
                period,
                metrics,
                items,
                timeout_s=llm.REQUEST_TIMEOUT_S if llm_timeout_s is None else llm_timeout_s,
                descriptions=descriptions,
                repository_descriptions=repository_descriptions,
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
