"""argparse scripts: enums, typed arrays, repeated flags, the parser's description, main() skipped, a clean argv."""

import ast
import os
import sys
import tempfile
import textwrap
import unittest

from toolport_runner.argparse_params import argparse_description, argparse_parameters
from toolport_runner.functions import collect_functions, load_module
from toolport_runner.script_tool import ScriptTool

SCRIPT = textwrap.dedent(
    """
    import argparse
    import sys

    SEEN_ARGV = list(sys.argv)

    def shout(text: str) -> str:
        return text.upper()

    def main():
        parser = argparse.ArgumentParser(description="Summarise a report.")
        parser.add_argument("--level", choices=["low", "high"], default="low")
        parser.add_argument("--sizes", nargs="+", type=int)
        parser.add_argument("--pair", nargs=2, type=float)
        parser.add_argument("--tag", action="append")
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument("--no-color", dest="color", action="store_false")
        args = parser.parse_args()
        print(args)

    if __name__ == "__main__":
        main()
    """
)


class ArgparseSchema(unittest.TestCase):
    def setUp(self):
        tree = ast.parse(SCRIPT)
        self.params = {p["name"]: p for p in argparse_parameters(tree)}
        self.description = argparse_description(tree)

    def test_choices_become_an_enum(self):
        self.assertEqual(self.params["level"]["enum"], ["low", "high"])
        tool = ScriptTool("/x/report.py", "report", None, list(self.params.values()))
        self.assertEqual(tool.input_schema["properties"]["level"]["enum"], ["low", "high"])

    def test_nargs_become_arrays_with_typed_items(self):
        self.assertEqual(self.params["sizes"]["type"], "array")
        self.assertEqual(self.params["sizes"]["items"], {"type": "integer"})
        self.assertEqual(self.params["pair"]["items"], {"type": "number"})
        tool = ScriptTool("/x/report.py", "report", None, list(self.params.values()))
        self.assertEqual(tool.input_schema["properties"]["sizes"], {"type": "array", "items": {"type": "integer"}})
        self.assertEqual(tool.input_schema["properties"]["pair"]["minItems"], 2)
        self.assertEqual(tool.input_schema["properties"]["pair"]["maxItems"], 2)

    def test_append_is_passed_as_repeated_flags(self):
        self.assertTrue(self.params["tag"]["repeat"])
        tool = ScriptTool("/x/report.py", "report", None, [self.params["tag"]])
        self.assertEqual(tool.argv({"tag": ["x", "y"]}), ["--tag", "x", "--tag", "y"])

    def test_store_true_and_store_false_are_booleans(self):
        self.assertEqual((self.params["quiet"]["type"], self.params["quiet"]["default"]), ("boolean", False))
        self.assertEqual((self.params["color"]["type"], self.params["color"]["default"]), ("boolean", True))
        tool = ScriptTool("/x/report.py", "report", None, [self.params["color"]])
        self.assertEqual(tool.argv({"color": False}), ["--no-color"])

    def test_the_description_comes_from_the_parser(self):
        self.assertEqual(self.description, "Summarise a report.")


class ArgparseRun(unittest.TestCase):
    def test_the_script_parses_what_the_tool_builds_and_errors_name_the_file(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "0123abcd.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(SCRIPT)
            params = argparse_parameters(ast.parse(SCRIPT))
            tool = ScriptTool(path, "report", None, params, script_name="report.py")
            ok = tool.run({"tag": ["x", "y"], "sizes": [1, 2], "level": "high"})
            self.assertEqual(ok["structuredContent"]["exit_code"], 0, ok)
            self.assertIn("tag=['x', 'y']", ok["structuredContent"]["stdout"])
            self.assertIn("sizes=[1, 2]", ok["structuredContent"]["stdout"])
            bad = tool.run({"level": "medium"})
            self.assertEqual(bad["structuredContent"]["exit_code"], 2)
            self.assertIn("report.py: error", bad["structuredContent"]["stderr"])
            self.assertNotIn("0123abcd", bad["structuredContent"]["stderr"])


class FunctionModeArgparseMain(unittest.TestCase):
    def test_main_is_skipped_with_a_reason_and_the_script_sees_a_clean_argv(self):
        saved = list(sys.argv)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "report.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(SCRIPT)
            sys.argv[:] = ["toolport_runner.py", "serve", path, "--functions", "main"]
            try:
                module = load_module(path)
            finally:
                sys.argv[:] = saved
        self.assertEqual(module.SEEN_ARGV, [path])
        tools, skipped = collect_functions(module)
        self.assertEqual([t.name for t in tools], ["shout"])  # positive control: plain functions stay
        reason = next(s["reason"] for s in skipped if s["name"] == "main")
        self.assertIn("argparse", reason)


if __name__ == "__main__":
    unittest.main()
