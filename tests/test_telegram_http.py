"""The Bot API's HTTP layer (aiohttp) against a small local server: answers, files, failures."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from handlers.telegram_http import AiohttpRequest


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A Bot API stand-in: echoes what it got; /slow answers after a second."""
    seen: list[dict[str, object]] = []

    async def echo(request: web.Request) -> web.Response:
        if request.match_info["method"] == "slow":
            await asyncio.sleep(1)
        form = await request.post()
        seen.append({k: (v.file.read().decode() if hasattr(v, "file") else v) for k, v in form.items()})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot1:x", seen
    await runner.cleanup()


def parameters(**values: object) -> RequestData:
    """What python-telegram-bot hands its HTTP layer for a call with these parameters."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


@pytest.fixture
async def request_layer() -> AsyncIterator[AiohttpRequest]:
    layer = AiohttpRequest(4, read_timeout=0.3)
    await layer.initialize()
    yield layer
    await layer.shutdown()


async def test_parameters_are_posted_as_a_form(server, request_layer: AiohttpRequest) -> None:  # type: ignore[no-untyped-def]
    url, seen = server
    data = parameters(chat_id=5, text="Kielce")
    status, body = await request_layer.do_request(f"{url}/sendMessage", "POST", data)
    assert status == 200 and b'"ok": true' in body
    assert seen == [{"chat_id": "5", "text": "Kielce"}]


async def test_a_file_goes_as_multipart(server, request_layer: AiohttpRequest) -> None:  # type: ignore[no-untyped-def]
    url, seen = server
    document = InputFile(b"BEGIN:VCALENDAR", filename="irlf.ics")
    data = parameters(chat_id=5, document=document)
    status, _ = await request_layer.do_request(f"{url}/sendDocument", "POST", data)
    assert status == 200
    assert seen == [{"chat_id": "5", "document": "BEGIN:VCALENDAR"}]


async def test_no_answer_in_time_is_timed_out(server, request_layer: AiohttpRequest) -> None:  # type: ignore[no-untyped-def]
    url, _ = server
    with pytest.raises(TimedOut):
        await request_layer.do_request(f"{url}/slow", "POST")


async def test_nobody_listening_is_a_network_error(request_layer: AiohttpRequest) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError):
        await request_layer.do_request(f"http://127.0.0.1:{port}/bot1:x/getMe", "POST")
