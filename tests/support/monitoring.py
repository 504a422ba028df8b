"""Looking at a running bot as a monitoring system does: GET /healthz and /metrics over HTTP."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from simulator import TelegramSimulator

__all__ = ["Scrape", "free_port", "health", "scrape", "sends_seen_by", "wait_for_health"]


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Scrape:
    """One /metrics answer, parsed with prometheus-client's own parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}

    def value(self, sample: str, **labels: str) -> float:
        """The sum of `sample` over the series whose labels include `labels`.

        The metric must exist (a misspelt name fails instead of reading as 0); a labelled
        counter nobody has counted yet reads as 0.
        """
        names = [name for name in self.families if sample == name or sample.startswith(name + "_")]
        assert names, f"no metric for {sample} in:\n{self.text}"
        family = self.families[max(names, key=len)]
        return sum(
            s.value
            for s in family.samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )


async def scrape(http: aiohttp.ClientSession, root: str) -> Scrape:
    """GET /metrics and parse it."""
    async with http.get(f"{root}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        return Scrape(await answer.text())


async def health(http: aiohttp.ClientSession, root: str) -> tuple[int, dict[str, Any]]:
    """GET /healthz: the status code and the JSON body."""
    async with http.get(f"{root}/healthz") as answer:
        return answer.status, await answer.json()


async def wait_for_health(
    http: aiohttp.ClientSession, root: str, status: str, *, timeout: float = 15.0
) -> dict[str, Any]:
    """Ask /healthz until it says `status` (the state is refreshed every few seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    body: dict[str, Any] = {}
    while loop.time() < deadline:
        try:
            _code, body = await health(http, root)
        except aiohttp.ClientConnectionError:
            body = {"status": "not listening"}
        if body.get("status") == status:
            return body
        await asyncio.sleep(0.1)
    raise TimeoutError(f"/healthz never said {status!r}; last answer {body}")


def sends_seen_by(sim: TelegramSimulator, chat_ids: set[int]) -> dict[str, int]:
    """sendMessage requests to `chat_ids` as the simulator answered them, by metric outcome."""
    outcomes = {200: "ok", 403: "403", 429: "429"}
    seen: dict[str, int] = {}
    for request in sim.requests_for("sendMessage"):
        if request.params.get("chat_id") in chat_ids:
            outcome = "5xx" if request.status >= 500 else outcomes.get(request.status, "other")
            seen[outcome] = seen.get(outcome, 0) + 1
    return seen
