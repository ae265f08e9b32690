"""Manufacturer names by ECHONET manufacturer code (0x8A), from pyhems' copy of the registry.

The ECHONET Consortium assigns the three-byte codes; `pyhems` (MIT, a
dependency) carries the list with English and Japanese names.
"""

from pyhems import REGISTRY


def manufacturer_name(code: int | None, language: str = "en") -> str | None:
    """The company behind `code` in the user's language; None if unknown."""
    if code is None:
        return None
    entry = REGISTRY.manufacturers.get(code)
    if entry is None:
        return None
    name: str = entry.name_ja if language.startswith("ja") else entry.name_en
    return name
