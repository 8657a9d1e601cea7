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
        # uvicorn's proxy_headers already replaced the peer with X-Forwarded-For's client
        # when the peer is a trusted proxy (FORWARDED_ALLOW_IPS); never trust it blindly.
        ip = connection.client.host if connection.client else None
        agent = connection.headers.get("user-agent")
        return cls(ip=ip, user_agent=agent[:USER_AGENT_MAX] if agent else None)


NO_CLIENT = ClientInfo(ip=None, user_agent=None)
