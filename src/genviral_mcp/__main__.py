"""``python -m genviral_mcp``: the same as the ``genviral-mcp`` command."""

from genviral_mcp.cli import main

if __name__ == "__main__":
    main()
