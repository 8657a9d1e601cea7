"""Infrasync: keeps engineering teams in sync with their GitHub repositories."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("infrasync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
