"""genviral-mcp: an MCP server that shows an AI agent what happened to its Genviral posts."""

__version__ = "0.1.0"
