"""The sample output in README.md and docs/*.md is the demo's, byte for byte, and every benchmark
figure in them says what it measured and which script wrote it (``scripts/docblocks.py``)."""

from __future__ import annotations

import subprocess
import sys

from docblocks import ROOT, blocks

GENERATE = ROOT / "scripts" / "generate_docs.py"
#: The workspaces a figure can come from: the benchmarks' sample, the one --demo serves, the tests' scenario,
#: load.py's smaller sample and tenants.py's scenarios (tests/support/heavy.py, oversized.py).
SCOPES = (
    "the benchmark's 300-post workspace",
    "the demo's 200-post workspace",
    "the test scenario",
    "the load benchmark's 50-post workspace",
    "the tenant scenarios",
)


def test_every_generated_sample_is_what_the_demo_prints_now() -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATE), "--check"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_docs_hold_generated_samples() -> None:
    assert {"check-demo", "summary-example", "list-posts-example", "automation-run"} <= set(
        blocks("generated")
    )


def test_every_measured_block_names_its_scope_and_the_script_that_wrote_it() -> None:
    measured = blocks("measured")
    assert measured, "no <!-- measured:NAME --> block in the docs"
    for name, (page, body) in measured.items():
        first = (body.splitlines() or ["(empty)"])[0]
        assert any(scope in first for scope in SCOPES), f"{page.name} measured:{name} names no scope: {first}"
        scripts = [word.strip("`") for word in first.split() if word.strip("`").startswith("benchmarks/")]
        assert scripts, f"{page.name} measured:{name} names no benchmark script: {first}"
        assert all((ROOT / script).is_file() for script in scripts), first
        assert "--write-docs" in first, f"{page.name} measured:{name} does not say how to rewrite it"
