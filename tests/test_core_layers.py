"""층의 방향: chat → accounts → core. 아래층은 위층을 가져오지 않는다 (함수 안의 import도)."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# 층마다 가져오면 안 되는 우리 패키지
FORBIDDEN = {
    "core": {"accounts", "chat", "chatproject"},
    "accounts": {"chat", "chatproject"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_lower_layer_imports_nothing_from_above(layer):
    upward = {
        str(path.relative_to(BASE_DIR)): sorted(imported_packages(path) & FORBIDDEN[layer])
        for path in sorted((BASE_DIR / layer).rglob("*.py"))
    }

    assert {path: names for path, names in upward.items() if names} == {}
