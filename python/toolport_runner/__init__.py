"""Toolport Python runner: turns a Python script into an MCP server over stdio (stdlib only).

Usage:
  toolport_runner.py serve SCRIPT.py [--functions a,b] [--mode functions|script]
                     [--params-json JSON] [--tool-name NAME] [--description TEXT] [--memory-mb N]
  toolport_runner.py analyze SCRIPT.py [--timeout-ms N]

`serve` speaks MCP (JSON-RPC 2.0, one message per line) on the process's original stdout;
everything user code prints is captured and returned with the call, never mixed into the protocol.
`analyze` prints one JSON document describing the script's tools, warnings and problems.

This package is the source. The build (scripts/bundle-runner.mjs) bundles it into the single file
python/toolport_runner.py that workers and generated wrappers run with plain `python3`; its entry
point is `toolport_runner.cli.main(argv)`.
"""
