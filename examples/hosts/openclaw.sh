# Pick one. Your key in a file of its own (only the key in it; openclaw mcp doctor is clean):
openclaw mcp set genviral '{"command": "/ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp", "args": [], "env": {"GENVIRAL_API_KEY_FILE": "/ABSOLUTE/PATH/TO/genviral-key"}}'
# Or your key from the environment OpenClaw runs in (or ~/.openclaw/.env), never written in its config:
openclaw mcp set genviral '{"command": "/ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp", "args": [], "env": {"GENVIRAL_API_KEY": "${GENVIRAL_API_KEY}"}}'
# The demo, which needs no key:
openclaw mcp set genviral-demo '{"command": "/ABSOLUTE/PATH/TO/genviral-mcp/.venv/bin/genviral-mcp", "args": ["--demo"]}'
