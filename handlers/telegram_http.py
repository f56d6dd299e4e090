"""The Bot API over aiohttp: python-telegram-bot's HTTP layer, cheap enough for a crowd.

PTB's own layer (httpx) spent 1.7–3.9 ms of CPU per call here, most of it tending its
connection pool; with a thousand guests asking at once that was more than everything else
the bot does for a question. aiohttp (installed anyway, matrix-nio uses it) makes the same
call for about 0.3 ms. PTB's timeouts and errors keep their meaning: no connection in time
or no answer in time is `TimedOut`, any other failure `NetworkError`. aiohttp has no write
timeout of its own; the read timeout covers an upload's answer. Each call is logged at
DEBUG by its Bot API method, never by URL (the URL holds the token).
"""

from __future__ import annotations

import logging

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """PTB's `BaseRequest` on one aiohttp session with at most `connections` connections."""

    def __init__(
        self,
        connections: int,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_timeout: float | None = 20.0,
    ) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else {}
        fields = request_data.json_parameters if request_data else {}
        read = _chosen(read_timeout, self._media_timeout if files else self._read_timeout)
        connect = _chosen(connect_timeout, self._connect_timeout)
        waiting = _chosen(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or waiting is None else connect + waiting,
            sock_connect=connect,
            sock_read=read,
        )
        name = url.rpartition("/")[2]
        try:
            async with self._session.request(
                method, url, data=_form(fields, files) if files else fields, timeout=timeout
            ) as response:
                body = await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(f"{name}: no answer in time") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        log.debug("Bot API %s: HTTP %d", name, response.status)
        return response.status, body


def _chosen(given: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _form(fields: dict[str, str], files: dict) -> aiohttp.FormData:  # type: ignore[type-arg]
    """A multipart form: the parameters, then each file as (filename, content, mime type)."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, part in files.items():
        if isinstance(part, tuple):
            filename, content, mime_type = part
            form.add_field(name, content, filename=filename, content_type=mime_type)
        else:
            form.add_field(name, part)
    return form
