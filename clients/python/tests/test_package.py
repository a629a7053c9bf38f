"""Packaging: the public names, the version and the typing marker."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import m2m_trust


def test_public_names_are_importable() -> None:
    for name in m2m_trust.__all__:
        assert hasattr(m2m_trust, name), name


def test_version_matches_the_distribution() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", m2m_trust.__version__)
    assert importlib.metadata.version("m2m-trust") == m2m_trust.__version__


def test_distribution_metadata() -> None:
    meta = importlib.metadata.metadata("m2m-trust")
    assert meta["Requires-Python"] == ">=3.9"
    requires = importlib.metadata.requires("m2m-trust") or []
    assert any(r.startswith("httpx") for r in requires)
    assert any(r.startswith("cryptography") for r in requires)
    assert any(r.startswith("pytest") and re.search(r"extra\s*==\s*[\"']test[\"']", r) for r in requires)


def test_py_typed_marker_is_shipped() -> None:
    package_dir = Path(m2m_trust.__file__).parent
    assert (package_dir / "py.typed").is_file()


def test_modules_import_each_other_in_one_direction_only() -> None:
    """``client`` composes the API groups; no module it imports imports it back (type-only imports included)."""
    import ast

    package = Path(m2m_trust.__file__).parent
    imports: dict[str, set[str]] = {}
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imports[source.stem] = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module}
    cycles = sorted((a, b) for a, deps in imports.items() for b in deps if a < b and a in imports.get(b, set()))
    assert cycles == []
