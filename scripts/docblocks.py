"""The blocks of README.md and docs/*.md that scripts write, between markers on lines of their own:

    <!-- generated:NAME -->   ...   <!-- /generated:NAME -->   sample output, from --demo at a fixed instant
    <!-- measured:NAME -->    ...   <!-- /measured:NAME -->    figures a benchmark script measured

``scripts/generate_docs.py`` writes the generated blocks, and its ``--check`` (which the test suite
runs) fails on any byte that differs. Measured blocks vary from machine to machine, so only their
benchmark writes them (``benchmarks/tokens.py --write-docs``), and the test only checks that each one
says what it measured and which command wrote it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("generated", "measured")
_BLOCK = re.compile(
    r"^<!-- (?P<kind>generated|measured):(?P<name>[\w-]+) -->\n(?P<body>.*?)^<!-- /(?P=kind):(?P=name) -->$",
    re.M | re.S,
)


def doc_files() -> list[Path]:
    """Every page that may hold a block."""
    return [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(kind: str) -> dict[str, tuple[Path, str]]:
    """NAME -> (page, body) for every block of ``kind``; a name used twice is an error."""
    found: dict[str, tuple[Path, str]] = {}
    for page in doc_files():
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            if match["kind"] != kind:
                continue
            name = match["name"]
            if name in found:
                raise SystemExit(f"{kind}:{name} appears twice ({found[name][0]} and {page})")
            found[name] = (page, match["body"])
    return found


def replace_body(text: str, kind: str, name: str, body: str) -> str:
    """``text`` with the block ``kind:name`` holding ``body`` (which ends with a newline)."""
    pattern = re.compile(
        rf"^(<!-- {kind}:{re.escape(name)} -->\n).*?(^<!-- /{kind}:{re.escape(name)} -->)$", re.M | re.S
    )
    new, count = pattern.subn(lambda match: match[1] + body + match[2], text)
    if count != 1:
        raise SystemExit(f"expected one <!-- {kind}:{name} --> block, found {count}")
    return new


def write_block(kind: str, name: str, body: str) -> Path:
    """Write ``body`` into the one block ``kind:name`` in the docs; returns its page."""
    found = blocks(kind)
    if name not in found:
        raise SystemExit(f"no <!-- {kind}:{name} --> block in README.md, benchmarks/README.md or docs/*.md")
    page = found[name][0]
    page.write_text(replace_body(page.read_text(encoding="utf-8"), kind, name, body), encoding="utf-8")
    return page
