"""The code a benchmark measures: this tree's ``src``, or another revision's, exported with ``git archive``.

A benchmark runs the other revision by the same interpreter with its ``src`` first on ``PYTHONPATH``, and
names each code by its short commit in what it prints and in the docs' figures it writes.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Code:
    """The code a server runs: this tree's ``src`` or an exported revision's."""

    name: str
    pythonpath: str


@contextlib.contextmanager
def exported(revision: str) -> Iterator[Code]:
    with tempfile.TemporaryDirectory(prefix="genviral-baseline-") as scratch:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "src/genviral_mcp"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        yield Code(f"{revision} ({commit})", str(Path(scratch) / "src"))


def this_tree() -> Code:
    """This tree, named by its commit, with ``+`` when ``src`` has changes not committed."""
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True, text=True
    )
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return Code(f"this tree ({head}{'+' if dirty.stdout.strip() else ''})", str(ROOT / "src"))
