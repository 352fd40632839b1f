"""``python -m genviral_mcp``: the same as the ``genviral-mcp`` command.

An MCP bundle (``manifest.json``, ``server.type: "uv"``) runs this file directly, as
``uv run src/genviral_mcp/__main__.py``. Python then puts this file's folder first on
``sys.path``, where ``config.py``, ``client.py`` and friends would shadow any top-level module
of the same name; the folder above (``src``) is what belongs there.
"""

import sys
from pathlib import Path

if not __package__:  # run as a file, not with -m
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from genviral_mcp.cli import main

if __name__ == "__main__":
    main()
