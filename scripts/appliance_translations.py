"""Write the generated entity translations of ECHONET Lite properties into the translation files.

    .venv/bin/python -m scripts.appliance_translations          # rewrite the files
    .venv/bin/python -m scripts.appliance_translations --check  # exit 1 if they are stale

Every entity that `appliance_entities.plan` can make, for every class and
property of the class data (settable or not), gets its name, and its states
when it is an enum select or sensor, under `entity.<platform>.<key>` in
`strings.json` and `translations/en.json` (English) and
`translations/ja.json` (Japanese), from the class data's own names. Hand-written
entries are left as they are; generated ones are replaced as a whole, so a
change of the class data (a pyhems upgrade) is one run of this script.
"""

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import Platform

from custom_components.denki.appliances.plan import (
    DEDICATED,
    META_EPCS,
    UNKNOWN_PROPERTY,
    PlannedEntity,
    numeric_fields,
    plan_fields,
    plan_one,
    state_key,
)
from custom_components.denki.lib.echonet.classes import CLASSES, property_spec

ROOT = Path(__file__).resolve().parents[1] / "custom_components" / "denki"
FILES = {
    ROOT / "strings.json": "en",
    ROOT / "translations" / "en.json": "en",
    ROOT / "translations" / "ja.json": "ja",
}
GENERATED = re.compile(
    rf"^(c[0-9a-f]{{4}}_[0-9a-f]{{2}}(_[0-9])?|super_[0-9a-f]{{2}}|{UNKNOWN_PROPERTY})$"
)
UNKNOWN_NAMES = {"en": "Unknown property {epc}", "ja": "不明なプロパティ {epc}"}
_NODE_PROFILE = 0x0EF0


def _text(text: str, fallback: str) -> str:
    # Braces would be read as placeholders; the data has none, but never risk it.
    cleaned = " ".join(text.replace("{", "(").replace("}", ")").split())
    # "<Drying course> Blankets" reads as an HTML tag to the frontend and to hassfest:
    # the group becomes a prefix, "Drying course: Blankets".
    cleaned = re.sub(r"<([^<>]*)>\s*", r"\1: ", cleaned).strip()
    return cleaned or fallback


def _entry(planned: PlannedEntity, language: str) -> dict[str, Any]:
    spec = planned.known_spec
    named: Any = spec if planned.field is None else spec.value.fields[planned.field]
    entry: dict[str, Any] = {"name": _text(named.ja if language == "ja" else named.en, named.key)}
    if planned.platform is Platform.SELECT or planned.device_class is SensorDeviceClass.ENUM:
        states: dict[str, str] = {}
        for value in spec.value.enum:
            key = state_key(value.key)
            if key in states:
                raise ValueError(f"{planned.translation_key}: two states become {key!r}")
            states[key] = _text(value.ja if language == "ja" else value.en, value.key)
        entry["state"] = states
    return entry


def generated(language: str) -> dict[str, dict[str, Any]]:
    """Per platform, the generated entries in `language`, sorted by key."""
    out: dict[str, dict[str, Any]] = {
        str(Platform.SENSOR): {UNKNOWN_PROPERTY: {"name": UNKNOWN_NAMES[language]}}
    }
    for class_id, spec in CLASSES.items():
        if not spec.inherits_super_class or class_id == _NODE_PROFILE:
            continue
        epcs = set(spec.properties) | set(range(0x80, 0xA0))
        # Only what `plan` can make: not the bookkeeping, not what a dedicated platform shows.
        epcs -= META_EPCS | DEDICATED.get(class_id, frozenset())
        for epc in sorted(epcs):
            if property_spec(class_id, epc) is None:
                continue
            prop = property_spec(class_id, epc)
            variants = [plan_one(class_id, epc, settable) for settable in (False, True)]
            if prop is not None and numeric_fields(prop):
                variants += plan_fields(class_id, epc, prop, ())
            for planned in variants:
                out.setdefault(str(planned.platform), {})[planned.translation_key] = _entry(
                    planned, language
                )
    return {platform: dict(sorted(keys.items())) for platform, keys in sorted(out.items())}


def merged(document: dict[str, Any], language: str) -> dict[str, Any]:
    """`document` with its generated entries replaced by today's."""
    entity = document.setdefault("entity", {})
    for keys in entity.values():
        for key in [key for key in keys if GENERATED.match(key)]:
            del keys[key]
    for platform, keys in generated(language).items():
        entity.setdefault(platform, {}).update(keys)
    return document


def render(document: dict[str, Any]) -> str:
    """The file's text, as the repository keeps it."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the files, or with --check say which are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = []
    for path, language in FILES.items():
        text = path.read_text(encoding="utf-8")
        fresh = render(merged(json.loads(text), language))
        if fresh != text:
            stale.append(path)
            if not args.check:
                path.write_text(fresh, encoding="utf-8")
    if args.check and stale:
        sys.stderr.write("stale: " + ", ".join(str(p) for p in stale) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
