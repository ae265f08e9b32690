"""manifest.json, hacs.json, quality_scale.yaml and the brand images."""

import json
from pathlib import Path

from awesomeversion import AwesomeVersion
from homeassistant.const import __version__ as ha_version
from homeassistant.util.yaml import load_yaml
from packaging.requirements import Requirement
from PIL import Image
import pytest

REPO = Path(__file__).parent.parent
COMPONENT = REPO / "custom_components" / "denki"

# What hassfest accepts in a custom integration's manifest, and the keys the
# foundation issue asks for.
REQUIRED_MANIFEST_KEYS = {
    "domain",
    "name",
    "version",
    "codeowners",
    "documentation",
    "issue_tracker",
    "iot_class",
    "config_flow",
    "integration_type",
    "dependencies",
    "loggers",
    "requirements",
}
# The fields of HACS's HacsManifest: any other key is rejected by HACS's validation.
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "render_readme",
    "country",
    "hacs",
    "homeassistant",
    "persistent_directory",
    "hide_default_branch",
}
QUALITY_SCALE_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


def _json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_keys_and_order() -> None:
    """The manifest has every key asked for, in the order hassfest sorts them."""
    manifest = _json(COMPONENT / "manifest.json")
    assert manifest.keys() >= REQUIRED_MANIFEST_KEYS
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "denki"
    assert manifest["config_flow"] is True
    assert manifest["integration_type"] == "hub"
    assert AwesomeVersion(str(manifest["version"])).valid


def test_manifest_requirements_are_bounded_ranges() -> None:
    """Each requirement names a version range with a floor (hassfest asks custom integrations
    only for valid specifiers; a range, not a pin, lets it live beside core's own pins:
    tests/test_requirements.py resolves them against each supported Home Assistant)."""
    requirements = _json(COMPONENT / "manifest.json")["requirements"]
    assert isinstance(requirements, list)
    unbounded = [
        r
        for r in requirements
        if not any(spec.operator in (">=", "==", "~=") for spec in Requirement(r).specifier)
    ]
    assert unbounded == []


def test_hacs_json() -> None:
    """hacs.json holds only keys HACS accepts, and the Home Assistant version we test."""
    hacs = _json(REPO / "hacs.json")
    assert hacs.keys() <= HACS_KEYS
    assert hacs["name"] == "Denki"
    assert hacs["homeassistant"] == ha_version


def test_quality_scale_lists_every_rule_honestly() -> None:
    """All 54 rules are listed; an exemption or a todo says why where it can."""
    rules = load_yaml(COMPONENT / "quality_scale.yaml")["rules"]
    expected = [rule for tier in QUALITY_SCALE_RULES.values() for rule in tier]
    assert len(expected) == 54
    assert sorted(rules) == sorted(expected)
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "todo", "exempt"}, name
        if status == "exempt":
            assert rule["comment"], f"{name} is exempt without a reason"


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("icon.png", lambda w, h: (w, h) == (256, 256)),
        ("icon@2x.png", lambda w, h: (w, h) == (512, 512)),
        ("logo.png", lambda w, h: 128 <= min(w, h) <= 256),
        ("logo@2x.png", lambda w, h: 256 <= min(w, h) <= 512),
    ],
)
def test_brand_images(name: str, check: object) -> None:
    """The brand images have the sizes Home Assistant's brand rules ask for."""
    with Image.open(COMPONENT / "brand" / name) as image:
        assert image.format == "PNG"
        assert callable(check)
        assert check(*image.size)
