"""The manifest's requirements install beside every supported Home Assistant, without a fight.

A household's Home Assistant installs an integration's requirements with pip
under its `package_constraints.txt`, and every core integration it sets up
installs its own pinned requirements. For each supported release (the data
under tests/requirements_data/, written by refresh.py there from the
homeassistant wheels), this resolves `homeassistant==<release>` with and
without the manifest's requirements, against PyPI, with uv, under those
constraints: it must resolve, and change no version that Home Assistant
itself would install (no downgrade, no upgrade). The network is needed:
without it the tests fail and say so (docs/requirements.md).
"""

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
import importlib.util
import json
from pathlib import Path
import re
import shutil
import subprocess
import sys
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
import pytest

REPO = Path(__file__).parent.parent
DATA = Path(__file__).parent / "requirements_data"
MANIFEST = REPO / "custom_components" / "denki" / "manifest.json"
SERIES = ("2026.10", "2026.11")
"""The supported minor releases (refresh.py's SERIES): the newest patch of each is checked."""
HARNESS = "2026.10.4"
"""The Home Assistant that pytest-homeassistant-custom-component (requirements_test.txt) pins."""
PYTHON = "3.14.2"
"""The oldest Python those releases run on (their Requires-Python)."""
TEST_ONLY = {"xmltodict": "openleadr's VTN, the tests' OpenADR 2.0b peer, pins 0.13.0"}
"""Requirements the tests pin other than Home Assistant's core integrations do, and why."""
RELEASES = sorted(
    (path.stem.removeprefix("homeassistant-") for path in DATA.glob("homeassistant-*.txt")),
    key=Version,
)
NETWORK_HINT = (
    "this test resolves against PyPI and needs the network "
    "(see docs/requirements.md); the resolver said:\n"
)


def _manifest_requirements() -> list[str]:
    requirements = json.loads(MANIFEST.read_text(encoding="utf-8"))["requirements"]
    assert isinstance(requirements, list)
    assert requirements
    return [str(r) for r in requirements]


def _uv() -> list[str]:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: scripts/setup installs it into .venv")
    return [found]


def _resolve(requirements: Iterable[str], constraints: Path) -> dict[str, str]:
    """Name -> version uv resolves the requirements to, for Linux, under the constraints."""
    result = subprocess.run(
        [
            *_uv(),
            "pip",
            "compile",
            "-",
            "--constraint",
            str(constraints),
            "--python-version",
            PYTHON,
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        input="\n".join(requirements) + "\n",
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' + '.join(requirements)} does not resolve under {constraints.name}.\n"
            f"If the resolver could not reach the index, {NETWORK_HINT}{result.stderr}"
        )
    resolved: dict[str, str] = {}
    for line in result.stdout.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            resolved[canonicalize_name(name)] = version.split(";")[0].strip()
    return resolved


def _pins(path: Path) -> dict[str, str]:
    """Name -> version of each `name==version` line in a requirements or constraints file."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)(?:\[[^\]]*\])?==([^\s#;,]+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


@pytest.mark.timeout(600)
def test_the_newest_releases_are_checked(tmp_path: Path) -> None:
    """The newest patch of each supported series and the newest release on PyPI are checked:
    from the data kept here, or, for one released since, from its wheel fetched now."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "homeassistant"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next(
        (line for line in result.stdout.splitlines() if line.startswith("Available versions:")),
        None,
    )
    if result.returncode != 0 or line is None:
        pytest.fail(f"cannot list homeassistant's releases: {NETWORK_HINT}{result.stderr}")
    released = [Version(v) for v in line.split(":", 1)[1].replace(" ", "").split(",")]
    released = [v for v in released if not v.is_prerelease]
    wanted = {max(v for v in released if f"{v.major}.{v.minor}" == s) for s in SERIES}
    wanted.add(max(released))
    missing = sorted((str(v) for v in wanted if str(v) not in RELEASES), key=Version)
    # A release newer than the data (out since refresh.py last ran) is fetched and checked
    # here, so that CI judges the newest Home Assistant without waiting for a refresh.
    for release in missing:
        refresh = _refresh_module()
        scratch = tmp_path / "wheel"
        scratch.mkdir(exist_ok=True)
        _check_release(release, refresh.refresh(release, scratch, tmp_path))
    assert HARNESS in RELEASES


@pytest.mark.timeout(300)
@pytest.mark.parametrize("release", RELEASES)
def test_requirements_live_beside_home_assistant(release: str) -> None:
    """The manifest's requirements resolve with that Home Assistant and change none of its versions."""
    _check_release(release, DATA / f"homeassistant-{release}.txt")


def _check_release(release: str, constraints: Path) -> None:
    """Resolve Home Assistant `release` alone and with the manifest: nothing of its own moves."""
    requirements = _manifest_requirements()
    with ThreadPoolExecutor(2) as pool:
        alone_job = pool.submit(_resolve, [f"homeassistant=={release}"], constraints)
        both_job = pool.submit(_resolve, [f"homeassistant=={release}", *requirements], constraints)
        alone, both = alone_job.result(), both_job.result()
    changed = {
        name: f"{version} -> {both.get(name)}"
        for name, version in alone.items()
        if both.get(name) != version
    }
    assert changed == {}, f"the manifest's requirements move Home Assistant {release}'s own"
    # What core pins (package_constraints.txt and core manifests) is held, never moved.
    pinned = _pins(constraints)
    moved = {
        name: f"core pins {pinned[name]}, resolved {version}"
        for name, version in both.items()
        if name in pinned and Version(version) != Version(pinned[name])
    }
    assert moved == {}, f"Home Assistant {release}"
    # Every requirement of the manifest is in the resolution.
    names = {canonicalize_name(Requirement(r).name) for r in requirements}
    assert names <= both.keys()


def test_the_tests_install_versions_the_manifest_allows() -> None:
    """requirements_test.txt pins each requirement in the manifest's range, as the harness's core does."""
    tested = _pins(REPO / "requirements_test.txt")
    core = _pins(DATA / f"homeassistant-{HARNESS}.txt")
    problems = []
    for line in _manifest_requirements():
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        version = tested.get(name)
        if version is None:
            problems.append(f"{line}: not pinned in requirements_test.txt")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{line}: requirements_test.txt pins {version}")
        elif name in core and core[name] != version and name not in TEST_ONLY:
            problems.append(f"{line}: Home Assistant {HARNESS} pins {core[name]}, tests {version}")
    assert problems == []


PARSE = """
import json, pathlib, sys, types
import xmltodict
for name, path in (("custom_components", "custom_components"),
                   ("custom_components.denki", "custom_components/denki")):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
from custom_components.denki.lib.openadr.openleadr.messaging import parse_message
parsed = {path.name: parse_message(path.read_bytes())
          for path in sorted(pathlib.Path(sys.argv[1]).glob("*.xml"))}
print(json.dumps({"xmltodict": xmltodict.__file__, "parsed": parsed}, default=repr, sort_keys=True))
"""


@pytest.mark.timeout(300)
def test_openleadr_parses_alike_with_each_xmltodict_allowed(tmp_path: Path) -> None:
    """The vendored openleadr client reads OpenADR 2.0b messages alike with each xmltodict.

    The lowest the manifest allows (0.13.0, openleadr's own pin), and each one
    a supported Home Assistant's core integrations pin: the messages are a
    VEN-VTN conversation recorded from tests/lib/openadr (requirements_data/oadr20b).
    """
    allowed = Requirement(
        next(r for r in _manifest_requirements() if r.startswith("xmltodict"))
    ).specifier
    versions = {"0.13.0"} | {
        pins["xmltodict"]
        for release in RELEASES
        if "xmltodict" in (pins := _pins(DATA / f"homeassistant-{release}.txt"))
    }
    assert all(allowed.contains(version) for version in versions), versions
    results = {}
    for version in sorted(versions, key=Version):
        target = tmp_path / version
        install = subprocess.run(
            [
                *_uv(),
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                f"xmltodict=={version}",
                "--python",
                sys.executable,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if install.returncode != 0:
            pytest.fail(f"cannot install xmltodict {version}: {NETWORK_HINT}{install.stderr}")
        run = subprocess.run(
            [sys.executable, "-c", PARSE, str(DATA / "oadr20b")],
            cwd=REPO,
            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout)
        assert result["xmltodict"].startswith(str(target))
        results[version] = result["parsed"]
    assert len(results["0.13.0"]) >= 16
    first, *others = results.values()
    assert all(other == first for other in others)


def _refresh_module() -> Any:
    """tests/requirements_data/refresh.py, which writes the data of a release."""
    spec = importlib.util.spec_from_file_location("denki_refresh", DATA / "refresh.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
