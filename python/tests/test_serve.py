"""The runner as a process: `serve` speaks MCP over stdio and `analyze` prints one JSON document.

Runs the package (`python3 -m toolport_runner`), the same modules the build bundles into toolport_runner.py.
"""

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = '''
import asyncio


def greet(name: str, times: int = 1) -> str:
    """Greets someone.

    Args:
        name: Who to greet.
    """
    print("greeting", name)
    return " ".join(["hello " + name] * times)


async def twice(n: int) -> int:
    await asyncio.sleep(0)
    return 2 * n


def broken() -> None:
    raise RuntimeError("nope")


if __name__ == "__main__":
    print("the main block never runs on import")
'''


def run_runner(args, lines=()):
    payload = "".join(json.dumps(line) + "\n" for line in lines)
    proc = subprocess.run(
        [sys.executable, "-m", "toolport_runner"] + args,
        input=payload.encode("utf-8"),
        capture_output=True,
        cwd=PYTHON_DIR,
        timeout=30,
    )
    return proc.returncode, [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()], proc.stderr


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        cls.script = os.path.join(cls.folder.name, "greeter.py")
        with open(cls.script, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(SCRIPT))

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def call(self, request_id, name, arguments):
        return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}

    def test_initialize_list_and_calls_with_user_output_kept_off_the_protocol(self):
        code, replies, _ = run_runner(
            ["serve", self.script],
            [
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}},
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                self.call(3, "greet", {"name": "ada", "times": "2"}),
                self.call(4, "twice", {"n": 21}),
                self.call(5, "broken", {}),
                self.call(6, "missing", {}),
                {"jsonrpc": "2.0", "id": 7, "method": "nope"},
            ],
        )
        self.assertEqual(code, 0)
        by_id = {r["id"]: r for r in replies}
        self.assertEqual(sorted(by_id), [1, 2, 3, 4, 5, 6, 7])
        self.assertEqual(by_id[1]["result"]["protocolVersion"], "2025-06-18")
        self.assertEqual([t["name"] for t in by_id[2]["result"]["tools"]], ["greet", "twice", "broken"])
        greet = by_id[3]["result"]
        self.assertEqual(greet["structuredContent"], {"result": "hello ada hello ada"})
        self.assertEqual(greet["_meta"]["logs"], "greeting ada\n")
        self.assertEqual(by_id[4]["result"]["structuredContent"], {"result": 42})
        broken = by_id[5]["result"]
        self.assertTrue(broken["isError"])
        self.assertEqual(broken["content"][0]["text"], "RuntimeError: nope")
        # The traceback starts in the user's code, not in the runner's modules.
        self.assertIn("greeter.py", broken["_meta"]["traceback"].splitlines()[1])
        self.assertEqual(by_id[6]["error"]["code"], -32602)
        self.assertEqual(by_id[7]["error"]["code"], -32601)

    def test_analyze_reports_functions_and_the_main_block(self):
        code, replies, _ = run_runner(["analyze", self.script])
        self.assertEqual(code, 0)
        self.assertEqual(len(replies), 1)
        report = replies[0]
        self.assertEqual([f["name"] for f in report["functions"]], ["greet", "twice", "broken"])
        self.assertTrue(report["has_main"])
        self.assertIsNone(report["import_error"])

    def test_bad_usage_exits_with_a_message(self):
        code, replies, stderr = run_runner(["serve"])
        self.assertEqual((code, replies), (2, []))
        self.assertIn(b"usage: toolport_runner.py serve|analyze", stderr)
        code, _, stderr = run_runner(["serve", self.script, "--mode", "other"])
        self.assertEqual(code, 2)
        self.assertIn(b"--mode must be functions or script", stderr)


if __name__ == "__main__":
    unittest.main()
