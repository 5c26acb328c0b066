"""Every module of the application imports first on its own: no import circle that only works
because the app factory happens to import things in a lucky order."""

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import consult
import nlp

ROOT = Path(__file__).resolve().parent.parent
# For each module: import it first, in a process forked from one that has our modules
# forgotten and the third-party packages loaded, so each check costs our modules' own import,
# not a fresh interpreter. Our modules are compiled once, into a cache of the test's own (not
# the checkout's), even where the environment says not to write bytecode.
SCRIPT = """
import gc, importlib, os, sys, traceback
names = sys.argv[1:]
for name in names:
    try:
        importlib.import_module(name)
    except BaseException:  # even SystemExit: told by its own check below
        pass
for loaded in [m for m in sys.modules if m.split(".")[0] in ("consult", "nlp")]:
    del sys.modules[loaded]
gc.collect()
gc.freeze()
failed = []
for name in names:
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        gc.disable()  # a life this short has nothing worth collecting
        try:
            importlib.import_module(name)
        except BaseException:
            os.write(writer, f"{name}: {traceback.format_exc(limit=-3)}".encode())
            os._exit(1)
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        told = answer.read().decode()
    status = os.waitpid(child, 0)[1]
    if status != 0:
        failed.append(told or f"{name}: its import ended the process (status {status})")
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


def test_every_module_imports_first_on_its_own(tmp_path):
    environment = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *_modules()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
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
