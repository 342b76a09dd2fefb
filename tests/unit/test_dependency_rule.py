"""DESIGN.md §3: domain/ imports only the standard library (and itself)."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"


def _imported_modules(source: Path) -> list[tuple[int, str]]:
    tree = ast.parse(source.read_text(), filename=str(source))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain"}
    offences = [
        f"{path.relative_to(DOMAIN.parent)}:{line} imports {module}"
        for path in sorted(DOMAIN.rglob("*.py"))
        for line, module in _imported_modules(path)
        if module.split(".")[0] not in allowed
    ]
    assert offences == []


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("import sqlalchemy\nfrom infrastructure.settings import Settings\n")
    assert [m for _, m in _imported_modules(module)] == ["sqlalchemy", "infrastructure.settings"]
