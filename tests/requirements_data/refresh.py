"""Refresh the Home Assistant constraint data that tests/test_requirements.py resolves against.

For each Home Assistant release the integration supports (the newest patch of
each minor release in `SERIES`, and the newest release on PyPI), this
downloads the homeassistant wheel from PyPI (about 65 MB, not kept), and
writes `homeassistant-<version>.txt` beside this script: the wheel's
`homeassistant/package_constraints.txt` as it is, then every exact pin
(`name==version`) in the `requirements` of its core integrations'
manifests, as constraints too. A household's Home Assistant installs an
integration's requirements with pip under package_constraints.txt, and any
core integration it sets up installs its own pins: both are what Denki's
requirements must live beside.

Run it when a new Home Assistant is released or `SERIES` changes:

    .venv/bin/python tests/requirements_data/refresh.py

and commit the files it writes (it removes the ones of releases no longer
asked for).
"""

from collections import defaultdict
import json
from pathlib import Path
import re
import subprocess
import sys
import tempfile
import zipfile

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

HERE = Path(__file__).parent
SERIES = ("2026.10", "2026.11")
"""The minor releases supported: the newest patch of each is checked."""
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*(\[[^\]]*\])?==[^=,;\s]+$")


def _versions() -> list[str]:
    """The newest patch of each series in SERIES, and the newest release, from PyPI."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "homeassistant"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("Available versions:"))
    released = [Version(v.strip()) for v in line.split(":", 1)[1].split(",")]
    released = [v for v in released if not v.is_prerelease]
    chosen = {max(v for v in released if f"{v.major}.{v.minor}" == s) for s in SERIES}
    chosen.add(max(released))
    return [str(v) for v in sorted(chosen)]


def _core_pins(wheel: zipfile.ZipFile) -> dict[str, dict[str, list[str]]]:
    """Each exact pin in a core integration's manifest: requirement -> the integrations."""
    pins: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in sorted(wheel.namelist()):
        parts = name.split("/")
        if len(parts) != 4 or parts[:2] != ["homeassistant", "components"]:
            continue
        if parts[3] != "manifest.json":
            continue
        manifest = json.loads(wheel.read(name))
        for requirement in manifest.get("requirements", []):
            if not PIN.match(requirement):
                continue  # a URL or a range: nothing to hold a household to
            try:
                parsed = Requirement(requirement)
            except InvalidRequirement:
                continue
            key = re.sub(r"[-_.]+", "-", parsed.name).lower()
            pins[key][f"{key}{parsed.specifier}"].append(manifest["domain"])
    return pins


def refresh(version: str, scratch: Path, folder: Path = HERE) -> Path:
    """Write homeassistant-<version>.txt (into `folder`) from that release's wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            f"homeassistant=={version}",
            "--dest",
            str(scratch),
        ],
        check=True,
    )
    wheel_path = next(scratch.glob(f"homeassistant-{version}-*.whl"))
    with zipfile.ZipFile(wheel_path) as wheel:
        constraints = wheel.read("homeassistant/package_constraints.txt").decode()
        pins = _core_pins(wheel)
    lines = [
        f"# Home Assistant {version}: written by tests/requirements_data/refresh.py, do not edit.",
        "# homeassistant/package_constraints.txt, as the wheel has it:",
        constraints.rstrip("\n"),
        "",
        "# The exact pins of core integrations' manifests (homeassistant/components/*/manifest.json):",
    ]
    for key in sorted(pins):
        variants = pins[key]
        if len(variants) > 1:
            # Core disagrees with itself (hassfest forbids it): keep none, say so.
            lines.append(f"# {key}: {', '.join(sorted(variants))} (integrations disagree)")
            continue
        ((pin, domains),) = variants.items()
        lines.append(f"{pin}  # {', '.join(sorted(domains))}")
    target = folder / f"homeassistant-{version}.txt"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    wheel_path.unlink()
    return target


def main() -> None:
    """Refresh the data of every supported release."""
    versions = _versions()
    with tempfile.TemporaryDirectory() as scratch:
        written = {refresh(version, Path(scratch)) for version in versions}
    for stale in HERE.glob("homeassistant-*.txt"):
        if stale not in written:
            stale.unlink()
    sys.stdout.write(
        "".join(f"{path.relative_to(HERE.parent.parent)}\n" for path in sorted(written))
    )


if __name__ == "__main__":
    main()
