"""Text from outside (commit messages, titles, names) made safe to show anywhere.

Unicode's bidirectional controls reorder what is displayed without changing what is
stored: "RTL \u202eevil\u202c" reads "RTL live" in a browser, in Slack and in a mail
client alike (the "Trojan Source" trick, CVE-2021-42574). A digest repeats strangers'
text into every channel, so the controls are removed where that text enters, once, and
every renderer (markdown, Slack, Discord, email, the web app, feeds) shows the characters
in the order they were written. Right-to-left scripts need none of these controls to
display correctly; only explicit overrides, embeddings, isolates and marks are removed.
"""

from __future__ import annotations

# LRE, RLE, PDF, LRO, RLO (U+202A-E); LRI, RLI, FSI, PDI (U+2066-9); LRM, RLM, ALM.
BIDI_CONTROLS = frozenset(
    [
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
        "\u200e",
        "\u200f",
        "\u061c",
    ]
)
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def without_bidi_controls(text: str) -> str:
    return text.translate(_REMOVE)


def optional_without_bidi_controls(text: str | None) -> str | None:
    return None if text is None else text.translate(_REMOVE)
