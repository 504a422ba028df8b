"""Maintenance scripts: derive the facts the tests need from files kept outside the repository."""
