"""A local Telegram Bot API simulator for the demo, end-to-end tests and benchmarks.

async with TelegramSimulator() as sim:
    app = ApplicationBuilder().token(sim.token).base_url(sim.base_url).build()
    anna = sim.user("Anna", language_code="de")
    await anna.send("/start")
    welcome = await anna.next_message()
    await anna.press(welcome, "Los geht's")
"""

from bot.simulator.errors import ApiError
from bot.simulator.faults import FaultInjector
from bot.simulator.groups import SimGroup
from bot.simulator.messages import Button, CallbackAnswer, SimEvent, SimFile, SimMessage
from bot.simulator.recording import RecordedRequest
from bot.simulator.simulator import TelegramSimulator
from bot.simulator.stats import SimulatorStats
from bot.simulator.users import ButtonNotFound, SimChat, SimUser
from bot.simulator.webhook import WebhookDelivery

__all__ = [
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
