#!/usr/bin/env bash
# Run the MCP conformance suite's generic server scenarios against `genviral-mcp --transport http`.
# Needs the package installed in .venv and npx (Node 22 comes from the npm package node@22).
# Usage: scripts/conformance.sh [PORT] [SCENARIO...]
#   default: 8765 server-initialize ping tools-list dns-rebinding-protection
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8765}
shift $(($# > 0 ? 1 : 0))
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(server-initialize ping tools-list dns-rebinding-protection)
conformance=@modelcontextprotocol/conformance@${CONFORMANCE_VERSION:-0.1.16}

# Pass-through mode (no GENVIRAL_API_KEY): the generic scenarios need no Genviral key.
env -u GENVIRAL_API_KEY -u GENVIRAL_MCP_TOKEN .venv/bin/genviral-mcp --transport http --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 150); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

status=0
for scenario in "${scenarios[@]}"; do
  echo "=== $scenario"
  npx -y -p node@22 -p "$conformance" conformance server \
    --url "http://127.0.0.1:$port/mcp" --scenario "$scenario" || status=1
done
exit $status
