"""Where a request came from, as the audit log records it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

USER_AGENT_MAX = 512


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None
    user_agent: str | None

    @classmethod
    def of(cls, connection: HTTPConnection) -> ClientInfo:
        # The peer's address, never a header: X-Forwarded-For is believed only from
        # INFRASYNC_TRUSTED_PROXIES, and `serve` has uvicorn put that client in the peer's
        # place. None trusted (the default), it is ignored: rate limits and the audit log
        # see whoever connected.
        ip = connection.client.host if connection.client else None
        agent = connection.headers.get("user-agent")
        return cls(ip=ip, user_agent=agent[:USER_AGENT_MAX] if agent else None)


NO_CLIENT = ClientInfo(ip=None, user_agent=None)
