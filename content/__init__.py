"""Curriculum cards and UI message catalogs: data, loaded and validated here.

Knows nothing of Telegram.
"""
