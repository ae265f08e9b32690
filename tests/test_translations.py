"""strings.json and its English and Japanese translations agree."""

import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

COMPONENT = Path(__file__).parent.parent / "custom_components" / "denki"
STRINGS = COMPONENT / "strings.json"
TRANSLATIONS = ["en", "ja"]


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Map each dotted key path of a translation tree to its string."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            assert isinstance(value, str), f"{path} is not a string"
            flat[path] = value
    return flat


def _placeholders(text: str) -> set[str]:
    """The {placeholders} a string uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _load(path: Path) -> dict[str, str]:
    return _flatten(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translation_has_every_key(language: str) -> None:
    """Every key of strings.json is translated, and nothing else is."""
    strings = _load(STRINGS)
    translation = _load(COMPONENT / "translations" / f"{language}.json")
    assert sorted(strings.keys() - translation.keys()) == []
    assert sorted(translation.keys() - strings.keys()) == []


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translation_keeps_placeholders(language: str) -> None:
    """A translated string uses the same placeholders as the source string."""
    strings = _load(STRINGS)
    translation = _load(COMPONENT / "translations" / f"{language}.json")
    mismatched = {
        key: (sorted(_placeholders(text)), sorted(_placeholders(translation[key])))
        for key, text in strings.items()
        if _placeholders(text) != _placeholders(translation[key])
    }
    assert mismatched == {}


def test_english_is_strings_json() -> None:
    """translations/en.json is strings.json, as Home Assistant's tooling generates it."""
    assert _load(COMPONENT / "translations" / "en.json") == _load(STRINGS)


GENERATED = re.compile(r"^entity\.[a-z_]+\.(c[0-9a-f]{4}_[0-9a-f]{2}(_[0-9])?|super_[0-9a-f]{2})\.")
"""Appliance entries generated from the class data's own Japanese column, where a
label such as "ON", "LED" or "x0.1" is the Japanese text (tests/appliances/test_translations.py
checks they are what the class data says)."""


def test_japanese_is_translated() -> None:
    """Every Japanese string holds Japanese text, not a copy of the English."""
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    translation = _load(COMPONENT / "translations" / "ja.json")
    untranslated = [
        key
        for key, text in translation.items()
        if not japanese.search(text)
        and not GENERATED.match(key)
        and not re.fullmatch(r"\{\w+\}", text)  # a bare placeholder has no words
    ]
    assert sorted(untranslated) == []
