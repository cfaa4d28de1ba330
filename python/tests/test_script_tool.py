"""Script mode: the tool's schema from declared parameters and the argv it builds from arguments."""

import os
import tempfile
import unittest

from toolport_runner.script_tool import ScriptTool

PARAMS = [
    {"name": "source", "type": "string", "required": True},
    {"name": "count", "type": "integer", "flag": "--count", "default": 3},
    {"name": "verbose", "type": "boolean", "flag": "--verbose", "default": False},
    {"name": "tag", "type": "array", "flag": "--tag"},
]


class ScriptToolArgv(unittest.TestCase):
    def setUp(self):
        self.tool = ScriptTool("/x/report.py", "report", None, PARAMS)

    def test_schema_and_default_description(self):
        definition = self.tool.definition()
        self.assertEqual(definition["description"], "Runs report.py with command-line arguments.")
        self.assertEqual(definition["inputSchema"]["required"], ["source"])
        self.assertEqual(definition["inputSchema"]["properties"]["tag"], {"type": "array", "items": {}})

    def test_positionals_first_then_options_with_defaults_and_lists(self):
        argv = self.tool.argv({"source": "in.csv", "verbose": "true", "tag": ["a", "b"]})
        self.assertEqual(argv, ["in.csv", "--count", "3", "--verbose", "--tag", "a", "b"])

    def test_values_that_look_like_options_go_after_a_double_dash(self):
        self.assertEqual(self.tool.argv({"source": "-weird"}), ["--count", "3", "--", "-weird"])

    def test_missing_required_and_unknown_arguments_are_refused(self):
        with self.assertRaisesRegex(TypeError, "missing required argument 'source'"):
            self.tool.argv({})
        with self.assertRaisesRegex(TypeError, "unexpected argument"):
            self.tool.argv({"source": "a", "other": 1})

    def test_run_reports_output_and_a_failing_exit_code(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "s.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("import sys\nprint('args', sys.argv[1:])\nsys.exit(3)\n")
            result = ScriptTool(path, "s", "d", [{"name": "x", "type": "string"}]).run({"x": "hi"})
        self.assertTrue(result["isError"])
        self.assertEqual(result["structuredContent"], {"stdout": "args ['hi']\n", "stderr": "", "exit_code": 3})


if __name__ == "__main__":
    unittest.main()
