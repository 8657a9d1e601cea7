"""Reading a request's Accept-Encoding, for files served precompressed."""

from __future__ import annotations


def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether `coding` (e.g. "br", "gzip") is acceptable: listed, or `*`, and not q=0."""
    wildcard = False
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name == coding:
            return quality > 0
        if name == "*":
            wildcard = quality > 0
    return wildcard
