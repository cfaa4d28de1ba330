"""What a script's source shows without running it: warnings, the main block, argparse parameters, imports."""

import ast
import textwrap
import unittest

from toolport_runner.argparse_params import argparse_parameters
from toolport_runner.static_analysis import missing_imports, static_analysis


def parse(source):
    return ast.parse(textwrap.dedent(source))


class Warnings(unittest.TestCase):
    def test_flags_risky_calls_through_aliases_and_writes(self):
        tree = parse(
            """
            import subprocess as sp
            import os
            sp.run(["ls"])
            os.system("ls")
            open("out.txt", "w")
            open("in.txt")
            """
        )
        warnings, has_main, _, _ = static_analysis(tree)
        self.assertEqual(
            [(w["line"], w["message"]) for w in warnings],
            [
                (2, "imports subprocess"),
                (4, "subprocess.run() runs external programs"),
                (5, "os.system() runs a shell command"),
                (6, "open() with mode 'w' writes files"),
            ],
        )
        self.assertFalse(has_main)

    def test_detects_the_main_guard(self):
        _, has_main, _, _ = static_analysis(parse('if __name__ == "__main__":\n    pass\n'))
        self.assertTrue(has_main)

    def test_missing_imports_ignore_guarded_and_stdlib_ones(self):
        tree = parse(
            """
            import json
            import surely_not_installed_toolport_x
            try:
                import also_not_installed_toolport_y
            except ImportError:
                pass
            """
        )
        self.assertEqual(missing_imports(tree), ["surely_not_installed_toolport_x"])


class ArgparseParameters(unittest.TestCase):
    def test_reads_flags_positionals_types_and_choices(self):
        tree = parse(
            """
            import argparse
            p = argparse.ArgumentParser()
            p.add_argument("source", help="input file")
            p.add_argument("-n", "--count", type=int, default=3, help="how many")
            p.add_argument("--verbose", action="store_true")
            p.add_argument("--tag", action="append")
            p.add_argument("--mode", choices=["a", "b"], required=True)
            p.add_argument("--version", action="version")
            """
        )
        self.assertEqual(
            argparse_parameters(tree),
            [
                {"name": "source", "type": "string", "required": True, "description": "input file"},
                {"name": "count", "type": "integer", "required": False, "flag": "--count", "description": "how many", "default": 3},
                {"name": "verbose", "type": "boolean", "required": False, "flag": "--verbose", "default": False},
                {"name": "tag", "type": "array", "required": False, "flag": "--tag", "items": {"type": "string"}, "repeat": True},
                {"name": "mode", "type": "string", "required": True, "flag": "--mode", "enum": ["a", "b"]},
            ],
        )

    def test_dest_renames_and_optional_positionals(self):
        tree = parse('p.add_argument("--out-file", dest="target")\np.add_argument("rest", nargs="*")\n')
        self.assertEqual(
            argparse_parameters(tree),
            [
                {"name": "target", "type": "string", "required": False, "flag": "--out-file"},
                {"name": "rest", "type": "array", "required": False, "items": {"type": "string"}},
            ],
        )


if __name__ == "__main__":
    unittest.main()
