"""Every module of the application imports first on its own: no import circle that only works
because the app factory happens to import things in a lucky order."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import consult
import nlp

ROOT = Path(__file__).resolve().parent.parent
# For each module: forget every module of ours, then import that one first. Third-party
# packages stay loaded, so this takes seconds, not a fresh interpreter per module.
SCRIPT = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("consult", "nlp")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed))
"""


def _modules() -> list[str]:
    names = []
    for package in (consult, nlp):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in info.name and not info.name.endswith("__main__"):
                names.append(info.name)
    return names


def test_every_module_imports_first_on_its_own():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *_modules()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout


def test_the_import_contracts_name_every_module_that_defines_routes():
    import re
    import tomllib

    defines_routes = re.compile(r"^@bp\.(get|post|route)\(", re.MULTILINE)
    route_modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "consult").glob("*/*.py")
        if defines_routes.search(path.read_text(encoding="utf-8"))
    }
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    about_routes = [c for c in contracts["contracts"] if c.get("source_modules") != ["nlp"]]
    assert len(about_routes) == 2
    for contract in about_routes:
        listed = contract.get("protected_modules") or contract["forbidden_modules"]
        assert set(listed) == route_modules, contract["name"]
