"""Every GraphQL query the client can send is valid against GitHub's real schema.

The queries are collected from the code: `queries.example_requests()` builds one of
every shape, and the coverage test below fails if a kind of list, a nested connection or
a part type exists that no example exercises. (The fake GitHub validates again every
query the other tests send.)
"""

from __future__ import annotations

import typing

from graphql import OperationDefinitionNode, get_operation_ast, parse
from graphql.execution.values import get_variable_values

from infrasync.github import queries
from tests.fakes.github_schema import github_schema, query_cost, validation_errors


def test_every_query_validates_against_githubs_schema() -> None:
    for request in queries.example_requests():
        document = parse(request.query)
        assert validation_errors(document) == [], request.query
        operation = get_operation_ast(document)
        assert isinstance(operation, OperationDefinitionNode)
        coerced = get_variable_values(
            github_schema(), operation.variable_definitions or (), request.variables
        )
        assert not isinstance(coerced, list), coerced  # a list means variable errors
        cost = query_cost(document, operation, request.variables)
        assert cost.problems == [], cost.problems


def test_the_examples_cover_every_shape_the_code_can_build() -> None:
    text = "\n".join(request.query for request in queries.example_requests())
    fields = {
        "pulls": "pullRequests(",
        "open_pulls": "openPullRequests: pullRequests(",
        "issues": "issues(",
        "commits": "history(first: 100, after:",
        "releases": "releases(",
        "tags": "refs(",
        "earlier": "earlier: history(",
    }
    assert set(fields) == set(queries.KINDS) == set(typing.get_args(queries.Kind))
    for kind, field in fields.items():
        assert field in text, kind
    assert "defaultBranchRef { name target { __typename oid ... on Commit { earlier:" in text
    assert "defaultBranchRef { name target { oid } }" in text  # the revision, alone
    for nested in typing.get_args(queries.NestedField):
        assert f"{nested}(first: {queries.PAGE_SIZE}, after: $nodeAfter" in text, nested
    parts = [part for group in queries.example_parts() for part in group]
    for part_type in typing.get_args(queries.Part):
        assert any(isinstance(part, part_type) for part in parts), part_type
    # A pull request's draft state at any moment: its first and latest draft changes.
    assert "firstDraftChange: timelineItems(first: 1, itemTypes: [READY_FOR_REVIEW_EVENT" in text
    assert f"draftChanges: timelineItems(last: {queries.DRAFT_CHANGES_PAGE}, itemTypes:" in text
    assert "search(" in text  # the first-time contributor probe
    assert "author: $probeAuthor" in text


def test_a_typical_repository_week_fits_one_query_with_room_to_spare() -> None:
    request = queries.example_requests()[0]
    document = parse(request.query)
    operation = get_operation_ast(document)
    assert operation is not None
    cost = query_cost(document, operation, request.variables)
    part_nodes = sum(queries.KIND_NODES.values())
    # The packer's estimate must not undercount what GitHub will count.
    assert cost.nodes <= part_nodes + 100
    assert queries.NODE_BUDGET // part_nodes >= 10
