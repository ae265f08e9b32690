"""Typing for the vendored, untyped OpenLEADR client: everything it exports is Any."""

from typing import Any

def __getattr__(name: str) -> Any: ...
