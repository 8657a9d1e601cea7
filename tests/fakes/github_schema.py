"""GitHub's real GraphQL schema (`tests/fixtures/github/graphql/schema.graphql`), and
GitHub's rules for a query beyond the schema: every connection that returns nodes needs
`first` or `last` (1 to 100), a query may reach at most 500,000 nodes, and its cost in
rate-limit points is the number of connection pages it may need, divided by 100.

Source of the rules: GitHub's docs, "Rate limits and query limits for the GraphQL API"
(docs.github.com/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    get_named_type,
    is_interface_type,
    is_object_type,
    validate,
)

from tests.fixtures import GITHUB_FIXTURES

# Re-exported: the other fakes take the folder from here.
FIXTURES = GITHUB_FIXTURES
SCHEMA_PATH = FIXTURES / "graphql" / "schema.graphql"
MAX_NODES = 500_000
MAX_PAGE = 100


@functools.cache
def github_schema() -> GraphQLSchema:
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid_sdl=True)
    # GitHub's own schema breaks two of the spec's self-consistency rules (a duplicated
    # field, deprecations on interface implementations), so graphql-core would refuse to
    # validate any query against it. The schema is GitHub's and correct for our purpose:
    # skip its self-check, keep every check of the queries.
    schema._validation_errors = []
    return schema


def validation_errors(document: DocumentNode) -> list[GraphQLError]:
    return validate(github_schema(), document)


@dataclass
class QueryCost:
    nodes: int = 0
    requests: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return max(1, round(self.requests / 100))


def query_cost(
    document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]
) -> QueryCost:
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    cost = QueryCost()
    query_type = github_schema().query_type
    assert query_type is not None
    _walk(operation.selection_set, query_type, 1, fragments, variables, cost)
    if cost.nodes > MAX_NODES:
        cost.problems.append(
            {
                "type": "MAX_NODE_LIMIT_EXCEEDED",
                "message": f"This query requests up to {cost.nodes:,} possible nodes which "
                f"exceeds the maximum limit of {MAX_NODES:,}.",
            }
        )
    return cost


def _walk(
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    cost: QueryCost,
) -> None:
    if selection_set is None:
        return
    schema = github_schema()
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            assert target is not None
            _walk(selection.selection_set, target, multiplier, fragments, variables, cost)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            target = schema.get_type(fragment.type_condition.name.value)
            assert target is not None
            _walk(fragment.selection_set, target, multiplier, fragments, variables, cost)
        elif isinstance(selection, FieldNode):
            _walk_field(selection, parent, multiplier, fragments, variables, cost)


def _walk_field(
    node: FieldNode,
    parent: GraphQLNamedType,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    cost: QueryCost,
) -> None:
    if not (is_object_type(parent) or is_interface_type(parent)):
        return
    assert isinstance(parent, GraphQLObjectType) or hasattr(parent, "fields")
    definition = parent.fields.get(node.name.value)
    if definition is None:  # __typename
        return
    returned = get_named_type(definition.type)
    name = node.name.value
    if returned.name.endswith("Connection") and "first" in definition.args:
        size = _page_size(node, variables)
        wants_items = _selects_items(node.selection_set, fragments)
        if size is None and wants_items:
            cost.problems.append(
                {
                    "type": "MISSING_PAGINATION_BOUNDARIES",
                    "message": f"You must provide a `first` or `last` value to properly "
                    f"paginate the `{name}` connection.",
                }
            )
            size = MAX_PAGE
        elif size is not None and size > MAX_PAGE:
            cost.problems.append(
                {
                    "type": "EXCESSIVE_PAGINATION",
                    "message": f"Requesting {size} records on the `{name}` connection exceeds "
                    f"the `first` limit of {MAX_PAGE} records.",
                }
            )
        size = size or 1
        cost.requests += multiplier
        cost.nodes += multiplier * size
        multiplier *= size
    _walk(node.selection_set, returned, multiplier, fragments, variables, cost)


def _page_size(node: FieldNode, variables: dict[str, Any]) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return int(given) if given is not None else None
    return None


def _selects_items(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """Whether a connection asks for `nodes` or `edges` (totalCount alone needs no page)."""
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in ("nodes", "edges"):
            return True
        if isinstance(selection, InlineFragmentNode) and _selects_items(
            selection.selection_set, fragments
        ):
            return True
        if isinstance(selection, FragmentSpreadNode) and _selects_items(
            fragments[selection.name.value].selection_set, fragments
        ):
            return True
    return False
