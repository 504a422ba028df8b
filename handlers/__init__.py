"""Telegram update handlers, thin: read the update, call one domain function, render."""

from handlers.registry import register_handlers

__all__ = ["register_handlers"]
