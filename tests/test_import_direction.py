"""Dependencies point one way (DESIGN.md: Layout): dashboards → reports, careers, payments,
enrolment, accounts → students → programs → phdsupport. A module may import its own app and apps below it, never an app above
it or beside it (reports and careers are siblings: neither imports the other)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEVEL = {
    "phdsupport": 0,
    "programs": 1,
    "students": 2,
    "reports": 3,
    "careers": 3,
    "payments": 3,
    "enrolment": 3,
    "accounts": 3,
    "dashboards": 4,
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) of every import of a project app in a file, inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update((name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in LEVEL)
    return found


def violations(app: str) -> list[str]:
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for other, line in imported_apps(path):
            if other != app and LEVEL[other] >= LEVEL[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {other}")
    return wrong


@pytest.mark.parametrize("app", [app for app in LEVEL if (ROOT / app).is_dir()])
def test_no_module_imports_against_the_one_way_order(app):
    assert violations(app) == []


def test_the_check_sees_an_import_against_the_order(tmp_path, monkeypatch):
    """The test above can fail: a students module importing reports is caught, even inside a function."""
    (tmp_path / "students").mkdir()
    (tmp_path / "students" / "bad.py").write_text("def f():\n    from reports.models import Report\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert violations("students") == ["students/bad.py:2 imports reports"]
