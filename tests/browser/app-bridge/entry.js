// The host side of MCP Apps, as published on npm: exposed to the test host page as window.ExtApps.
export { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
