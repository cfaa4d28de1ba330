"""A minimal MCP server over stdio (standard library only): the demo's upstream MCP connector.

It keeps notes in memory and speaks just enough of the protocol for tools: initialize, ping, tools/list and
tools/call. Toolport starts it as a child process, shares it between all client sessions and restarts it if it dies.
"""

import json
import sys
from datetime import datetime, timezone

NOTES: list = []
SUPPORTED = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

TOOLS = [
    {
        "name": "add_note",
        "description": "Store a short note in memory.",
        "inputSchema": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}},
        },
    },
    {
        "name": "list_notes",
        "description": "All notes stored so far, newest last.",
        "inputSchema": {"type": "object", "properties": {}},
        "annotations": {"readOnlyHint": True},
    },
    {
        "name": "search_notes",
        "description": "Notes whose text contains the query (case-insensitive).",
        "inputSchema": {"type": "object", "required": ["query"], "properties": {"query": {"type": "string"}}},
        "annotations": {"readOnlyHint": True},
    },
]


def call_tool(name: str, args: dict) -> dict:
    if name == "add_note":
        if len(NOTES) >= 1000:
            return {"content": [{"type": "text", "text": "the demo keeps at most 1000 notes"}], "isError": True}
        note = {"id": len(NOTES) + 1, "text": str(args.get("text", "")), "at": datetime.now(timezone.utc).isoformat()}
        NOTES.append(note)
        return {"content": [{"type": "text", "text": json.dumps(note)}], "structuredContent": note}
    if name == "list_notes":
        return {"content": [{"type": "text", "text": json.dumps(NOTES)}], "structuredContent": {"notes": NOTES}}
    if name == "search_notes":
        query = str(args.get("query", "")).lower()
        found = [n for n in NOTES if query in n["text"].lower()]
        return {"content": [{"type": "text", "text": json.dumps(found)}], "structuredContent": {"notes": found}}
    raise KeyError(name)


def handle(message: dict):
    method = message.get("method")
    params = message.get("params") or {}
    if method == "initialize":
        asked = params.get("protocolVersion")
        return {
            "protocolVersion": asked if asked in SUPPORTED else SUPPORTED[0],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "demo-notes", "version": "1.0.0"},
            "instructions": "Notes kept in memory by the demo's upstream MCP server.",
        }
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        try:
            return call_tool(params.get("name", ""), params.get("arguments") or {})
        except KeyError:
            raise LookupError(f"unknown tool {params.get('name')}")
    raise NotImplementedError(method)


def main() -> None:
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # a blank line or not JSON
        if "id" not in message:
            continue  # a notification: nothing to answer
        reply = {"jsonrpc": "2.0", "id": message["id"]}
        try:
            reply["result"] = handle(message)
        except NotImplementedError as err:
            reply["error"] = {"code": -32601, "message": f"method not found: {err}"}
        except LookupError as err:
            reply["error"] = {"code": -32602, "message": str(err)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
