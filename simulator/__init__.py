"""A local Telegram Bot API simulator for the demo, end-to-end tests and benchmarks.

async with TelegramSimulator() as sim:
    app = ApplicationBuilder().token(sim.token).base_url(sim.base_url).build()
    anna = sim.user("Anna", language_code="de")
    await anna.send("/start")
    welcome = await anna.next_message()
    await anna.press(welcome, "Los geht's")
"""

from simulator.errors import ApiError
from simulator.faults import ESSENTIAL_METHODS, FaultInjector
from simulator.groups import SimGroup
from simulator.messages import Button, CallbackAnswer, SimEvent, SimFile, SimMessage
from simulator.recording import RecordedRequest
from simulator.simulator import TelegramSimulator
from simulator.stats import SimulatorStats
from simulator.users import ButtonNotFound, SimChat, SimUser
from simulator.webhook import WebhookDelivery

__all__ = [
    "ESSENTIAL_METHODS",
    "ApiError",
    "Button",
    "ButtonNotFound",
    "CallbackAnswer",
    "FaultInjector",
    "RecordedRequest",
    "SimChat",
    "SimEvent",
    "SimFile",
    "SimGroup",
    "SimMessage",
    "SimUser",
    "SimulatorStats",
    "TelegramSimulator",
    "WebhookDelivery",
]
