"""The baseline: the SDK's minimal one-tool stdio server, exactly as its docs write it.

Kept in the benchmark folder so that every run measures genviral-mcp against the plain SDK on the
same interpreter, in the same run. Do not tune it: it stands for "what the SDK costs by itself".
"""

from mcp.server import MCPServer

mcp = MCPServer("minimal", version="1.0.0")


@mcp.tool()
async def echo(text: str) -> str:
    """Echo text back."""
    return text


if __name__ == "__main__":
    mcp.run()  # == mcp.run("stdio"); blocking (anyio.run inside)
