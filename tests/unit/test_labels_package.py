"""labels/ is a leaf: it imports nothing from the tracker and never speaks of what is in the bag."""

import ast
import re
from pathlib import Path

LABELS = Path(__file__).resolve().parents[2] / "labels"


def _modules() -> list[Path]:
    modules = sorted(LABELS.glob("*.py"))
    assert len(modules) >= 5  # the package is there: __init__, data, fonts, qr, pdf, zpl
    return modules


def test_the_labels_package_imports_nothing_from_the_tracker():
    offending = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
                names = [getattr(arg, "value", "") for arg in node.args[:1]]
            else:
                continue
            offending += [
                f"{path.name}: {n}" for n in names if n == "tracker" or str(n).startswith("tracker.")
            ]
    assert offending == []


def test_the_labels_package_never_names_the_treatment_assignment():
    words = re.compile(r"\barms?\b|allocation", re.IGNORECASE)
    hits = [
        f"{path.name}:{number}: {line.strip()}"
        for path in _modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if words.search(line)
    ]
    assert hits == []
