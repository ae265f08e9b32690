"""The library half under lib/ knows nothing of Home Assistant."""

import ast
from pathlib import Path
import subprocess
import sys

LIB = Path(__file__).parent.parent / "custom_components" / "denki" / "lib"
REPO = LIB.parent.parent.parent


def _imported_modules(source: Path) -> set[str]:
    """Every module an `import` or `from … import` statement in the file names."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_no_lib_module_imports_homeassistant() -> None:
    """No file under lib/ has an import statement naming homeassistant."""
    sources = sorted(LIB.rglob("*.py"))
    assert sources, "lib/ has no Python files"
    offenders = {
        str(source.relative_to(REPO)): sorted(
            module
            for module in _imported_modules(source)
            if module == "homeassistant" or module.startswith("homeassistant.")
        )
        for source in sources
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_lib_imports_with_homeassistant_unavailable() -> None:
    """Every lib/ module imports in a Python where homeassistant cannot be imported.

    This catches what the AST check cannot: an indirect import, through a
    third-party package or a dynamic import, that would pull Home Assistant in.
    """
    script = """
import importlib, pkgutil, sys, types
sys.modules["homeassistant"] = None  # any import of it now raises ImportError
# The parents stand in as bare packages, so the integration's own __init__
# (the Home Assistant half) does not run: lib/ is imported on its own.
for name, path in (("custom_components", "custom_components"),
                   ("custom_components.denki", "custom_components/denki")):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
import custom_components.denki.lib as lib
names = [lib.__name__] + [
    info.name for info in pkgutil.walk_packages(lib.__path__, lib.__name__ + ".")
    if not info.name.rsplit(".", 1)[-1] == "__main__"
]
for name in names:
    importlib.import_module(name)
print(len(names))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 1


def test_boundary_check_catches_an_offender(tmp_path: Path) -> None:
    """The AST check does find each form of import it is meant to find."""
    source = tmp_path / "bad.py"
    source.write_text(
        "import homeassistant.core\n"
        "from homeassistant.helpers import entity\n"
        "from . import sibling\n"
        "import json\n",
        encoding="utf-8",
    )
    assert _imported_modules(source) == {"homeassistant.core", "homeassistant.helpers", "json"}
