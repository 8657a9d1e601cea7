"""A GitHub repository's name, checked by GitHub's own rules.

Apart from activity.py, which re-exports it, so that naming a source (sources/service.py,
the command line) does not load the GitHub client and its HTTP stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GitHub's own rules for names: owners are alphanumerics and single hyphens, repository
# names alphanumerics, `-`, `_` and `.`.
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class RepoRef:
    owner: str
    name: str

    @classmethod
    def parse(cls, text: str) -> RepoRef:
        owner, slash, name = text.strip().removesuffix(".git").partition("/")
        if not slash or not _OWNER.match(owner) or not _NAME.match(name) or name in (".", ".."):
            raise ValueError(f"{text!r} is not a GitHub repository; write it as owner/name")
        return cls(owner, name)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def __str__(self) -> str:
        return self.full_name
