"""HTTP side: route /bot<token>/<method>, read parameters, answer in Telegram's shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from simulator.api import HANDLERS
from simulator.core import SimulatorCore
from simulator.errors import ApiError, bad_request, error_body
from simulator.params import (
    METHODS,
    Kind,
    MethodSpec,
    Params,
    Upload,
    decode_params,
    file_marker,
    find_method,
)
from simulator.recording import RecordedRequest

__all__ = ["BotApiServer"]

_MAX_UPLOAD = 50 * 1024 * 1024
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _response(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type="application/json",
    )


def _without_files(values: Mapping[str, object]) -> dict[str, Any]:
    return {k: file_marker(v) if isinstance(v, Upload) else v for k, v in values.items()}


async def _read_params(
    request: web.Request, spec: MethodSpec
) -> tuple[dict[str, object], dict[str, Upload]]:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    raw: dict[str, object] = dict(request.query) if request.query_string else {}
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return raw, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(data, dict):
            raise bad_request("JSON object expected as request body")
        raw.update(data)
    elif content_type in _FORM_TYPES:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                upload = Upload(value.filename, value.content_type, value.file.read())
                uploads[name] = upload
                # Parts named after a parameter are that parameter; others are attach:// targets.
                if name in spec.params:
                    raw[name] = upload
            else:
                raw[name] = value
    return raw, uploads


class BotApiServer:
    """The aiohttp application answering Bot API calls on loopback."""

    def __init__(self, core: SimulatorCore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._has_files = {
            name: any(kind is Kind.INPUT_FILE for kind in spec.params.values())
            for name, spec in METHODS.items()
        }

    async def start(self) -> int:
        """Start listening; return the bound port."""
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Stop listening and finish open requests."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _not_found(self, request: web.Request) -> web.Response:
        return _response(404, error_body(404, "Not Found"))

    async def _handle(self, request: web.Request) -> web.Response:
        core = self.core
        name = request.match_info["method"]
        if request.match_info["token"] != core.token:
            core.stats.count_request(name, 401)
            return _response(401, error_body(401, "Unauthorized"))
        spec = find_method(name)
        if spec is None:
            core.stats.count_request(name, 404)
            return _response(404, error_body(404, "Not Found"))
        raw: dict[str, object] = {}
        params: dict[str, object] = {}
        try:
            raw, uploads = await _read_params(request, spec)
            params = decode_params(spec, raw, uploads)
            faults = core.faults
            if faults.active:
                delay = faults.delay_for(spec.name)
                if delay:
                    await asyncio.sleep(delay)
                injected = faults.check(spec.name, is_send=spec.is_send)
                if injected is not None:
                    raise injected
            result = await HANDLERS[spec.name](core, Params(params))
            status, body = 200, {"ok": True, "result": result}
            if faults.active and (late := faults.late_for(spec.name)):
                await asyncio.sleep(late)
        except ApiError as exc:
            status, body = exc.status, exc.body()
            self._note_chat_error(params, spec.name, exc.description)
        core.stats.count_request(spec.name, status)
        if core.record or core.hooks:
            self._record(spec.name, params, raw, status, body)
        return _response(status, body)

    def _note_chat_error(self, params: Mapping[str, object], method: str, text: str) -> None:
        chat_id = params.get("chat_id")
        chat = self.core.state.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is not None:
            chat.recent_errors.append(f"{method}: {text}")
            chat.notify()

    def _record(
        self,
        method: str,
        params: dict[str, object],
        raw: dict[str, object],
        status: int,
        body: dict[str, Any],
    ) -> None:
        core = self.core
        if self._has_files[method]:
            params, raw = _without_files(params), _without_files(raw)
        entry = RecordedRequest(method, params, raw, status, body, core.clock())
        if core.record:
            core.requests.append(entry)
        for hook in core.hooks:
            hook(entry)
