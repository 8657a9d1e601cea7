"""Marks each contributor whose contribution in the window is their first to the repository
(SPEC §7: no non-merge commit committed, pull request or issue created, before it).

Most people are settled by what the first query already brought: a pull request or
issue they opened before the window (it is in the lists), or a commit among the last
hundred before it (`EarlierCommits`). Only the rest — in a usual week, the newcomers
themselves — are asked about, all repositories in one batched query: a search for pull
requests and issues they created before the window, and, unless the earlier commits
went back to the first one, their commits on the default branch before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infrasync.github.client import GitHubClient, GraphQLResult
from infrasync.github.queries import ProbePart, batch_query, pack, probe_aliases
from infrasync.kit.aio import run_all
from infrasync.sources.model import Activity, ActivityOutcome, Contributor, Person


@dataclass(frozen=True)
class EarlierCommits:
    """The authors (`Person.key`) of the last non-merge commits before the window."""

    authors: frozenset[str]
    # The page reached the repository's first commit: nobody else committed before.
    complete: bool
    count_bots: bool = False


@dataclass
class _Probe:
    activity_index: int
    person_key: str
    part: ProbePart
    earlier: bool | None = None


async def mark_first_timers(
    client: GitHubClient,
    outcomes: list[ActivityOutcome],
    hints: list[EarlierCommits],
    node_budget: int,
) -> list[ActivityOutcome]:
    probes: list[_Probe] = []
    verdicts: list[dict[str, bool | None]] = []
    for index, (outcome, hint) in enumerate(zip(outcomes, hints, strict=True)):
        settled: dict[str, bool | None] = {}
        verdicts.append(settled)
        if not isinstance(outcome, Activity):
            continue
        for contributor in outcome.contributors:
            person = contributor.person
            known = _settled(outcome, person, hint)
            if known is not None or (person.is_bot and not hint.count_bots):
                settled[person.key] = known
                continue
            part = _probe_for(outcome, person, ask_commits=not hint.complete)
            if part is None:
                settled[person.key] = None
            else:
                probes.append(_Probe(index, person.key, part))
    batches = pack([(probe.part, probe) for probe in probes], node_budget)
    await run_all(_run(client, [probe for _, probe in batch]) for batch in batches)
    for probe in probes:
        verdicts[probe.activity_index][probe.person_key] = (
            None if probe.earlier is None else not probe.earlier
        )
    return [_marked(outcome, settled) for outcome, settled in zip(outcomes, verdicts, strict=True)]


def _settled(activity: Activity, person: Person, hint: EarlierCommits) -> bool | None:
    """False when the data at hand shows an earlier contribution; True when it shows
    there can be none; None when GitHub must be asked."""
    if person.key in hint.authors:
        return False
    since = activity.window.since
    opened = [(p.author, p.created_at) for p in activity.pull_requests or ()]
    opened += [(i.author, i.created_at) for i in activity.issues or ()]
    if any(a is not None and a.key == person.key and at < since for a, at in opened):
        return False
    # Someone known only by a commit email cannot have opened a pull request or issue.
    if person.login is None and hint.complete:
        return True
    return None


def _probe_for(activity: Activity, person: Person, *, ask_commits: bool) -> ProbePart | None:
    owner, _, name = activity.source.name.partition("/")
    # A bot's node id names a Bot, which commit history cannot filter by.
    github_id = None if person.is_bot or not ask_commits else person.github_id
    email = person.email if ask_commits and github_id is None else None
    if person.login is None and github_id is None and email is None:
        return None
    return ProbePart(
        owner=owner,
        name=name,
        before=activity.window.since,
        login=person.login,
        is_bot=person.is_bot,
        github_id=github_id,
        email=email,
    )


async def _run(client: GitHubClient, probes: list[_Probe]) -> None:
    request = batch_query([probe.part for probe in probes])
    result = await client.graphql(request.query, request.variables)
    for index, probe in enumerate(probes):
        probe.earlier = _earlier(result, *probe_aliases(index))


def _earlier(result: GraphQLResult, search_alias: str, commits_alias: str) -> bool | None:
    """True or False when the answers say so; None when a needed answer is missing."""
    answers: list[bool | None] = []
    if search_alias in result.data or result.errors_at(search_alias):
        search = result.data.get(search_alias)
        answers.append(None if search is None else int(search.get("issueCount") or 0) > 0)
    if commits_alias in result.data or result.errors_at(commits_alias):
        answers.append(_committed_before(result.data.get(commits_alias)))
    if True in answers:
        return True
    if not answers or None in answers:
        return None
    return False


def _committed_before(repository: dict[str, Any] | None) -> bool | None:
    """Judged on someone's last ten commits before the window: ten merges and nothing
    else is the work of a maintainer, who counts as known."""
    if repository is None:
        return None
    target = (repository.get("defaultBranchRef") or {}).get("target") or {}
    history = target.get("history")
    if history is None:
        return False  # an empty repository: nobody committed anything
    nodes = [node for node in history.get("nodes") or [] if node]
    if any(int((node.get("parents") or {}).get("totalCount") or 0) < 2 for node in nodes):
        return True
    return bool((history.get("pageInfo") or {}).get("hasNextPage"))


def _marked(outcome: ActivityOutcome, verdicts: dict[str, bool | None]) -> ActivityOutcome:
    if not isinstance(outcome, Activity):
        return outcome
    contributors = tuple(
        Contributor(
            person=c.person,
            first_time=verdicts.get(c.person.key),
            commits=c.commits,
            pull_requests=c.pull_requests,
            issues=c.issues,
        )
        for c in outcome.contributors
    )
    return outcome.model_copy(update={"contributors": contributors})
