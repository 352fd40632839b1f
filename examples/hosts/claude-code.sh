# Pick one. --scope user makes the server available in all your projects.
# Installed from a clone (see "Install and run"):
claude mcp add --transport stdio --env GENVIRAL_API_KEY=gva_live_YOUR_PUBLIC_ID.YOUR_SECRET --scope user genviral -- /ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp
# Or, once the package is on PyPI, with uv:
claude mcp add --transport stdio --env GENVIRAL_API_KEY=gva_live_YOUR_PUBLIC_ID.YOUR_SECRET --scope user genviral -- uvx genviral-mcp
# The demo, which needs no key:
claude mcp add --transport stdio --scope user genviral-demo -- /ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp --demo
