"""What the AI writer's checks found, kept with each digest it tried to write.

A model's digest is a list of sentences, each citing the ids of the items it is about
(`pr:12`, `issue:45`, `release:v1.2`, `commit:1a2b3c4`, `person:ada`, `metric:prs_merged`).
The report says how many sentences there were, which items they cited and which checks
passed, so a reader can see that every claim links to its source — or why the builtin
writer wrote the digest instead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CheckName = Literal["structure", "citations", "known_items", "numbers", "no_urls"]
CHECKS: tuple[CheckName, ...] = ("structure", "citations", "known_items", "numbers", "no_urls")

# How the last answer was read: JSON the endpoint produced under a response_format schema,
# JSON found in free text (alone, fenced, or with prose around it), or plain text whose
# lines carry their ids in brackets (servers that take no response_format).
AnswerFormat = Literal["json_schema", "json", "text"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckOutcome(_Frozen):
    check: CheckName
    passed: bool
    problems: tuple[str, ...] = ()


class GroundedSentence(_Frozen):
    # "headline", or the monitor's section key ("shipped", "issues", …).
    section: str
    text: str
    cites: tuple[str, ...]


class GroundingReport(_Frozen):
    used: bool = Field(description="True: the model's text is the digest's text")
    attempts: int = Field(description="Answers asked of the model: 1, or 2 after a retry")
    answer_format: AnswerFormat
    sentence_count: int
    cited_items: tuple[str, ...] = Field(description="Distinct ids cited, in order of use")
    checks: tuple[CheckOutcome, ...] = Field(
        description="The last answer's checks; after a failed structure check, no other ran"
    )
    first_answer_failed: tuple[CheckName, ...] = Field(
        default=(), description="The checks the first answer failed, when it was retried"
    )
    sentences: tuple[GroundedSentence, ...] = ()

    @property
    def failed(self) -> tuple[CheckName, ...]:
        return tuple(outcome.check for outcome in self.checks if not outcome.passed)
