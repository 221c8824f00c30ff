"""The layout ARCHITECTURE.md describes: one import package, data flowing one way, and a wheel
that installs beside anything (PyPI's `diagrams` included)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import need

ROOT = Path(__file__).resolve().parent.parent
#: repository folder -> import package (pyproject.toml's package-dir)
FOLDERS = {
    "tcpspec": "tcpspec",
    "spec": "tcpspec.spec",
    "checks": "tcpspec.checks",
    "diagrams/generator": "tcpspec.diagrams",
}
ENGINES = (
    "tcpspec.checks.explicit",
    "tcpspec.checks.symbolic",
    "tcpspec.checks.conformance",
    "tcpspec.checks.spin",
)
SHARED = ("tcpspec.checks.properties", "tcpspec.checks.trace")


def modules() -> dict[str, Path]:
    out = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in ("tcpspec", "spec", "checks", "diagrams")}


def under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_every_import_is_of_the_one_namespace() -> None:
    for path in modules().values():
        stray = {m for m in imports(path) if not m.startswith("tcpspec")}
        assert not stray, f"{path}: imports outside the tcpspec namespace: {stray}"


def test_data_flows_one_way() -> None:
    """spec -> engines -> orchestration -> diagrams and the command line, never back."""
    for mod, path in modules().items():
        deps = {m for m in imports(path) if m in modules() or m.rsplit(".", 1)[0] in modules()}
        if under(mod, "tcpspec.spec"):
            allowed: tuple[str, ...] = ("tcpspec.spec",)
        elif under(mod, *ENGINES):
            own = next(e for e in ENGINES if under(mod, e))
            allowed = ("tcpspec.spec", own, *SHARED)
        elif under(mod, *SHARED):
            allowed = ("tcpspec.spec", *SHARED)
        elif under(mod, "tcpspec.checks"):
            allowed = ("tcpspec.spec", "tcpspec.checks")
        elif under(mod, "tcpspec.diagrams"):
            allowed = ("tcpspec.spec", "tcpspec.checks", "tcpspec.diagrams", "tcpspec.i18n")
        elif mod == "tcpspec.i18n":
            allowed = ()
        elif under(mod, "tcpspec.explorer"):  # a consumer, like the command line
            allowed = (
                "tcpspec.spec",
                "tcpspec.checks",
                "tcpspec.diagrams",
                "tcpspec.i18n",
                "tcpspec.explorer",
            )
        else:
            continue  # the command line may use everything
        bad = sorted(d for d in deps if not under(d, *allowed))
        assert not bad, f"{mod} imports {bad}: data flows spec -> engines -> reports"


def test_architecture_names_every_module() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    missing = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).as_posix()
            if path.name == "__init__.py" and path.parent != ROOT / "tcpspec" / "cli":
                continue
            if path.name.startswith("cmd_"):
                rel = "cli/cmd_*.py"
            if f"`{rel}`" not in text:
                missing.append(f"{folder}/{rel}")
    assert not missing, f"ARCHITECTURE.md does not say what these own: {missing}"


def test_generator_writes_nothing_into_an_installed_copy(tmp_path: Path) -> None:
    # an installed copy has no checkout around it: without -o it refuses, and says why
    from tcpspec.diagrams import __main__ as gen

    fake = tmp_path / "site-packages" / "tcpspec" / "diagrams" / "__main__.py"
    fake.parent.mkdir(parents=True)
    saved = gen.__file__
    gen.__file__ = str(fake)  # type: ignore[attr-defined]
    try:
        assert gen.checkout() is None
        assert gen.main([]) == 2
    finally:
        gen.__file__ = saved  # type: ignore[attr-defined]
    assert gen.checkout() == ROOT
    assert not list(tmp_path.rglob("*.svg"))


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@pytest.mark.skipif(sys.platform != "linux", reason="the venv layout below is POSIX")
def test_wheel_installs_beside_pypi_diagrams(tmp_path: Path) -> None:
    """Built wheel, fresh venv outside the repository, next to PyPI's `diagrams`."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "No matching distribution" in build.stderr:
        need("cannot fetch setuptools to build the wheel (no package index)")
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("tcpspec-*.whl")
    with zipfile.ZipFile(wheel) as z:
        top = next(n for n in z.namelist() if n.endswith("top_level.txt"))
        assert z.read(top).decode().split() == ["tcpspec"]
        names = z.namelist()
    assert not [n for n in names if n.endswith((".svg", ".mmd", ".dot"))]
    assert "tcpspec/locale/ko/LC_MESSAGES/tcpspec.po" in names
    assert "tcpspec/explorer/assets/explore.js" in names  # the explorer's page ships too
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(_venv_python(venv))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    got = subprocess.run(
        [py, "-m", "pip", "install", "-q", "diagrams", str(wheel)],
        capture_output=True,
        text=True,
        env=env,
    )
    if got.returncode != 0 and "No matching distribution" in got.stderr:
        need("cannot reach a package index to install PyPI's diagrams")
    assert got.returncode == 0, got.stderr
    away = tmp_path / "elsewhere"
    away.mkdir()

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=away, capture_output=True, text=True, env=env)

    tcpspec = str(venv / "bin" / "tcpspec")
    r = run(tcpspec, "verify", "--scenario", "handshake", "--engine", "explicit")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "handshake.three_messages" in r.stdout
    r = run(tcpspec, "chart", "close", "-o", str(away / "close.svg"))
    assert r.returncode == 0, r.stderr
    assert "<svg" in (away / "close.svg").read_text()
    r = run(py, "-m", "tcpspec", "--version")
    assert r.returncode == 0 and r.stdout.startswith("tcpspec "), r.stdout + r.stderr
    diagram = "from diagrams import Diagram; print(Diagram.__name__)"
    assert run(py, "-c", diagram).stdout.strip() == "Diagram"
    # the generator never writes into site-packages
    r = run(py, "-m", "tcpspec.diagrams")
    assert r.returncode == 2 and "installed copy" in r.stderr
    site = Path(
        run(py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    )
    assert not (site / "docs").exists() and not list((site / "tcpspec").rglob("*.svg"))
    r = run(py, "-m", "pip", "uninstall", "-y", "-q", "tcpspec")
    assert r.returncode == 0, r.stderr
    assert run(py, "-c", diagram).stdout.strip() == "Diagram"


def test_lock_file_pins_every_package_and_names_no_path() -> None:
    """requirements.lock is what every machine installs: exact versions, and no local path
    (a self-reference like ``tcpspec @ file:///...`` would break every other checkout)."""
    lines = [x.split("#")[0].strip() for x in (ROOT / "requirements.lock").read_text().splitlines()]
    reqs = [x for x in lines if x]
    assert reqs and all("==" in x and "@" not in x and "file:" not in x for x in reqs), reqs
    names = {x.split("==")[0].lower() for x in reqs}
    assert "tcpspec" not in names
    assert {"z3-solver", "networkx", "graphviz-pure", "typer", "rich", "babel"} <= names
