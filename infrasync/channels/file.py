"""A channel that writes each digest into a directory on the server: the demo's inbox,
so a newcomer sees a delivery with no Slack, no mail server and no network. Only the
server makes these (the demo); the API never lets a tenant choose a path."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from infrasync.channels.base import Attempt, Delivered, Outcome, Retry


def file_name(attempt: Attempt) -> str:
    # One file per delivery: a retry after a crash rewrites the same file, never a
    # second copy.
    until = attempt.digest.period.until.strftime("%Y-%m-%dT%H%M%SZ")
    return f"{until}-{attempt.delivery_id.hex[:12]}.md"


def _write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole, then renamed: a reader never sees half a digest.
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, delete=False, suffix=".part"
    ) as part:
        part.write(text)
    os.replace(part.name, directory / name)


class FileTransport:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, attempt: Attempt) -> Outcome:
        digest = attempt.digest
        text = digest.text + (f"\n\n_{digest.writer_note}_\n" if digest.writer_note else "\n")
        try:
            await asyncio.to_thread(_write, self._directory, file_name(attempt), text)
        except OSError as error:
            return Retry(None, f"The inbox directory cannot be written ({error.strerror}).")
        return Delivered(None, receipts=(file_name(attempt),))
