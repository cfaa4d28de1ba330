"""Function mode: which functions of a script become tools, their definitions and argument binding."""

import os
import sys
import tempfile
import textwrap
import unittest

from toolport_runner.functions import SCRIPT_MODULE_NAME, FunctionTool, collect_functions, load_module

SCRIPT = '''
import json
from os.path import join
from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int = 0


def area(width: float, height: float = 1.0) -> float:
    """Area of a rectangle.

    Args:
        width: Width in metres.
    """
    return width * height


def where(p: Point, /, label: str = "") -> dict:
    return {"x": p.x, "label": label}


async def later(n: int) -> int:
    return n


def _private():
    pass


def opaque(value: "json.JSONDecoder") -> None:
    pass


square = lambda n: n * n
'''


class CollectFunctions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        path = os.path.join(cls.folder.name, "script.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(SCRIPT))
        cls.saved_path = list(sys.path)
        cls.module = load_module(path)

    @classmethod
    def tearDownClass(cls):
        sys.path[:] = cls.saved_path
        sys.modules.pop(SCRIPT_MODULE_NAME, None)
        cls.folder.cleanup()

    def test_public_functions_become_tools_and_every_skip_has_a_reason(self):
        tools, skipped = collect_functions(self.module)
        self.assertEqual([t.name for t in tools], ["area", "where", "later"])
        reasons = {s["name"]: s["reason"] for s in skipped}
        self.assertEqual(reasons["join"], "imported from posixpath")
        self.assertEqual(reasons["Point"], "class (only functions become tools)")
        self.assertEqual(reasons["_private"], "private (leading underscore)")
        self.assertEqual(reasons["square"], "lambda")
        self.assertEqual(reasons["opaque"], "parameter 'value' has unsupported type JSONDecoder")

    def test_selection_skips_the_rest(self):
        tools, skipped = collect_functions(self.module, only={"area"})
        self.assertEqual([t.name for t in tools], ["area"])
        self.assertIn({"name": "later", "reason": "not selected"}, skipped)

    def test_definition_carries_schemas_and_docstring_descriptions(self):
        tool = FunctionTool("area", self.module.area)
        self.assertEqual(
            tool.definition(),
            {
                "name": "area",
                "description": "Area of a rectangle.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "width": {"type": "number", "description": "Width in metres."},
                        "height": {"type": "number", "default": 1.0},
                    },
                    "required": ["width"],
                },
                "outputSchema": {"type": "object", "properties": {"result": {"type": "number"}}, "required": ["result"]},
            },
        )
        self.assertTrue(FunctionTool("later", self.module.later).is_async)

    def test_bind_coerces_and_keeps_positional_only_parameters_positional(self):
        tool = FunctionTool("where", self.module.where)
        positional, keywords = tool.bind({"p": {"x": "3"}, "label": "a"})
        self.assertEqual(positional, [self.module.Point(3)])
        self.assertEqual(keywords, {"label": "a"})
        with self.assertRaisesRegex(TypeError, "unexpected argument"):
            tool.bind({"p": {"x": 1}, "nope": 1})

    def test_the_runner_folder_is_not_importable_by_the_script(self):
        runner_dir = os.path.dirname(os.path.dirname(os.path.abspath(load_module.__code__.co_filename)))
        self.assertNotIn(runner_dir, [os.path.abspath(p or ".") for p in sys.path])


if __name__ == "__main__":
    unittest.main()
