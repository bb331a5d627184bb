"""The documentation cannot drift: the README stays short, every relative link in it and in docs/ leads to
a file (and heading) that exists inside the repository, and every route the app serves is in the API
reference."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
API_REFERENCE = DOCS / "api.md"
MAX_README_LINES = 100

# [text](target) and ![alt](target); a target may end in a "title".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def documents() -> list[Path]:
    return [README, ROOT / "CHANGELOG.md", *sorted(DOCS.rglob("*.md"))]


def links(document: Path) -> list[str]:
    text = FENCE.sub("", document.read_text(encoding="utf-8"))  # code blocks hold commands, not links
    return LINK.findall(text)


def anchors(document: Path) -> set[str]:
    """The ids GitHub gives the document's headings: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", document.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_the_readme_fits_on_two_screens():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_every_relative_link_in_the_readme_and_docs_leads_to_a_file_in_the_repository():
    broken = []
    checked = 0
    for document in documents():
        for target in links(document):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path_part, _, anchor = target.partition("#")
            resolved = (document.parent / path_part).resolve() if path_part else document
            checked += 1
            if not resolved.is_relative_to(ROOT):
                broken.append(f"{document.relative_to(ROOT)}: {target} leads outside the repository")
            elif not resolved.exists():
                broken.append(f"{document.relative_to(ROOT)}: {target} does not exist")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{document.relative_to(ROOT)}: {target} names no heading of that file")
    assert checked > 50  # the README links to every guide and document
    assert not broken, "\n".join(broken)


def test_nothing_in_the_repository_refers_to_a_file_outside_it():
    outside = re.compile(r"\.\./shared|/work/|contract\.md|style\.md")
    offenders = []
    for folder in ("tracker", "tests", "docs", "bench", "labels", "templates", "static", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".md", ".html", ".js", ".css", ".lua", ".cfg", ".toml", ""}:
                continue
            if not path.is_file() or path == Path(__file__).resolve() or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{path.relative_to(ROOT)}: {m.group()}" for m in outside.finditer(text)]
    for path in (README, ROOT / "CHANGELOG.md", ROOT / "pyproject.toml", ROOT / "requirements.txt"):
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m.group()}" for m in outside.finditer(text)]
    assert not offenders, "\n".join(offenders)


def test_every_route_of_the_served_openapi_document_is_in_the_api_reference(client):
    document = client.get("/api/v1/openapi.json").json
    reference = API_REFERENCE.read_text(encoding="utf-8")
    routes = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(routes) > 60
    missing = [route for route in routes if f"`{route}`" not in reference]
    assert not missing, f"docs/api.md lacks: {', '.join(missing)}"


def test_every_route_the_api_reference_lists_is_served(client):
    """The other way round: a route removed from the app must leave the reference too."""
    document = client.get("/api/v1/openapi.json").json
    paths = document["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    reference = API_REFERENCE.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`]+)`", reference, re.MULTILINE))
    assert len(listed) > 60
    assert not listed - served, f"docs/api.md lists routes the app does not serve: {sorted(listed - served)}"
