"""The generic parts of edgenas ask a spec's family; they never name a spec type (design.md, "Families")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from edgenas.families import spec_types

ROOT = Path(__file__).resolve().parents[3]

# Modules that serve every family: the search loop, export, reports, the trial store,
# the CLI's generic commands and the measurement store. Family-specific modules (a
# family's specs, builders, space, proxy reduction, SpineNet scaling, the layer-wise
# collector of chains) may name their own types.
_GENERIC = [
    *sorted((ROOT / "edgenas" / "search").rglob("*.py")),
    *sorted((ROOT / "edgenas" / "export").rglob("*.py")),
    *sorted((ROOT / "edgenas" / "report").rglob("*.py")),
    *sorted((ROOT / "edgenas" / "store").rglob("*.py")),
    ROOT / "edgenas" / "cli" / "app.py",
    ROOT / "edgenas" / "cli" / "predictor.py",
    ROOT / "latency_models" / "measurements.py",
]


def _spec_type_names_used(path: Path, names: set[str]) -> list[tuple[int, str]]:
    """(line, name) of every use of one of `names` as a name, an attribute or an imported name (prose does not count)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            found.add((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in names:
            found.add((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom):
            found.update((node.lineno, alias.name) for alias in node.names if alias.name in names)
    return sorted(found)


@pytest.mark.parametrize("path", _GENERIC, ids=lambda p: str(p.relative_to(ROOT)))
def test_generic_modules_never_name_a_spec_type(path: Path) -> None:
    names = {t.__name__ for t in spec_types()}
    assert [f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in _spec_type_names_used(path, names)] == []


def test_the_check_sees_a_dispatch_on_a_spec_type(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text(
        '"""Mentions ArchSpec in prose only."""\n'
        "from edgenas.specs import SpineNetSpec\n"
        "import edgenas\n"
        "def f(spec):\n"
        "    return isinstance(spec, SpineNetSpec) or isinstance(spec, edgenas.specs.ArchSpec)\n"
    )
    names = {t.__name__ for t in spec_types()}
    assert _spec_type_names_used(source, names) == [(2, "SpineNetSpec"), (5, "ArchSpec"), (5, "SpineNetSpec")]
