"""The project stands alone: its README and docs never point outside the repository."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINK = re.compile(r"\]\(([^)]+)\)")


def _documents():
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))


def test_docs_link_only_inside_the_repository():
    outside = []
    for doc in _documents():
        text = doc.read_text(encoding="utf-8")
        if "../shared" in text:
            outside.append(f"{doc.relative_to(ROOT)}: mentions ../shared")
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            resolved = (doc.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT):
                outside.append(f"{doc.relative_to(ROOT)}: {target}")
    assert outside == []


def test_docs_relative_links_resolve():
    broken = []
    for doc in _documents():
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            if not (doc.parent / target.split("#")[0]).exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []
