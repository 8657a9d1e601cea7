"""aiosmtplib's client, made to close its connection completely. Loaded only when mail
is sent (`channels.email` imports it inside the send path), because it loads aiosmtplib."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol

# Seconds to wait for a connection's last round trips once we said QUIT.
CLOSE_WAIT = 5.0


class SmtpClient(aiosmtplib.SMTP):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._closed = asyncio.Event()

    def _on_connection_lost(self, protocol: SMTPProtocol) -> None:
        # aiosmtplib's own hook, called once the socket is gone.
        super()._on_connection_lost(protocol)
        self._closed.set()

    async def close_fully(self) -> None:
        """QUIT when still connected, close, and wait until the socket is closed.

        A TLS connection closes a few round trips after `close()` (close_notify), so a
        `tick` that exits right after sending would leave a socket behind. Bounded: a
        server that never answers must not hold the worker."""
        connected = self.protocol is not None
        if self.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await self.quit()
        # Also after the server hung up: the half-closed socket may still be open.
        self.close()
        if connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), CLOSE_WAIT)
