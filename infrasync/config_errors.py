"""The two ways reading the settings fails, apart from config.py (which re-exports them)
so that the command line can catch them without loading pydantic for `--help`."""

from __future__ import annotations


class SettingsError(Exception):
    """The configuration cannot be used; each line of `problems` names one setting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SettingsSourceError(Exception):
    """A settings source (AWS SSM) could not be read: a runtime failure, not bad input."""
