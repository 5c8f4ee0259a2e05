"""Tests of the package layout that `design.md` sets: who may import whom, and no public name hiding a module."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What `latency_models/` may import besides itself and the standard library: numpy
# and edgenas' plain data (specs, the error family, the registry helper), never builders, exporters or TensorFlow.
_LATENCY_MODELS_MAY_IMPORT = ("numpy", "edgenas.specs", "edgenas.errors", "edgenas.registry", "latency_models")
# Imported on use: by the regressors that fit with them (scipy's nnls, scikit-learn) and by the plots.
_LATENCY_MODELS_OPTIONAL = ("scipy", "sklearn", "matplotlib")


def _imports(path: Path, *, package: str) -> list[tuple[int, str]]:
    """Every absolute module a file imports (relative imports resolved against `package`), with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append((node.lineno, ".".join([*base, node.module] if node.module else base)))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def _is_under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_latency_models_imports_only_numpy_and_plain_specs() -> None:
    stdlib = set(sys.stdlib_module_names)
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted((ROOT / "latency_models").rglob("*.py"))
        for line, module in _imports(path, package=".".join(path.relative_to(ROOT).parts[:-1]))
        if module.split(".")[0] not in stdlib
        and not _is_under(module, _LATENCY_MODELS_MAY_IMPORT + _LATENCY_MODELS_OPTIONAL)
    ]
    assert wrong == []


def test_the_imports_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check above can fail: an exporter import, relative or absolute, is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("from edgenas.export import export\nimport numpy as np\nfrom .layers import LayerSpec\n"
                     "from ..edgenas.models import build_keras\n")
    modules = [module for _, module in _imports(probe, package="latency_models")]
    assert modules == ["edgenas.export", "numpy", "latency_models.layers", "edgenas.models"]
    assert [m for m in modules if not _is_under(m, _LATENCY_MODELS_MAY_IMPORT)] == ["edgenas.export", "edgenas.models"]


def _packages() -> list[str]:
    names = []
    for top in ("edgenas", "latency_models", "devices"):
        package = importlib.import_module(top)
        names.append(top)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, top + ".") if info.ispkg]
    return names


@pytest.mark.parametrize("package_name", _packages())
def test_no_public_name_hides_a_module_of_its_package(package_name: str) -> None:
    """`import edgenas.search.rewards` works after `import edgenas`: no attribute shadows a sub-module."""
    package = importlib.import_module(package_name)
    hidden = [
        f"{package_name}.{info.name} is a {type(package.__dict__[info.name]).__name__}"
        for info in pkgutil.iter_modules(package.__path__)
        if info.name in package.__dict__ and not isinstance(package.__dict__[info.name], types.ModuleType)
    ]
    assert hidden == []


def test_the_public_api_reaches_the_search_and_export_packages() -> None:
    import edgenas  # noqa: PLC0415
    import edgenas.search.rewards  # noqa: PLC0415

    assert isinstance(edgenas.search, types.ModuleType) and isinstance(edgenas.export, types.ModuleType)
    assert edgenas.search.rewards.make_reward is not None
    assert edgenas.run_search is edgenas.search.search
    assert edgenas.export_spec is edgenas.export.export


def test_every_public_name_of_edgenas_resolves_in_a_fresh_process() -> None:
    """`edgenas` loads its sub-packages on first use: each name of `__all__` must still resolve."""
    import subprocess  # noqa: PLC0415

    code = (
        "import edgenas, types\n"
        "missing = [n for n in edgenas.__all__ if getattr(edgenas, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert isinstance(edgenas.search, types.ModuleType) and callable(edgenas.run_search)\n"
        "print(len(edgenas.__all__))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) == len(importlib.import_module("edgenas").__all__)
