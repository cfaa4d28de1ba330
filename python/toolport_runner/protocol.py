"""MCP over stdio as the runner speaks it: versions and JSON-RPC error replies."""

RUNNER_VERSION = "0.1.0"
PROTOCOL_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07")


def rpc_error(request_id, code, message):
    """A JSON-RPC 2.0 error reply."""
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
