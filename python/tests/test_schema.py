"""JSON Schemas derived from annotations."""

import dataclasses
import datetime
import enum
import typing
import unittest

from toolport_runner.schema import UnsupportedType, schema_for


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Movie(typing.TypedDict):
    title: str
    year: int


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0
    tags: list = dataclasses.field(default_factory=list)


class SchemaFor(unittest.TestCase):
    def test_scalars_and_formats(self):
        self.assertEqual(schema_for(str), {"type": "string"})
        self.assertEqual(schema_for(int), {"type": "integer"})
        self.assertEqual(schema_for(float), {"type": "number"})
        self.assertEqual(schema_for(bool), {"type": "boolean"})
        self.assertEqual(schema_for(datetime.date), {"type": "string", "format": "date"})
        self.assertEqual(schema_for(typing.Any), {})

    def test_containers(self):
        self.assertEqual(schema_for(list[int]), {"type": "array", "items": {"type": "integer"}})
        self.assertEqual(schema_for(dict[str, float]), {"type": "object", "additionalProperties": {"type": "number"}})
        self.assertEqual(schema_for(set[str]), {"type": "array", "uniqueItems": True, "items": {"type": "string"}})
        self.assertEqual(
            schema_for(tuple[int, str]),
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
        )

    def test_optional_union_and_pipe_syntax(self):
        expected = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
        self.assertEqual(schema_for(typing.Optional[int]), expected)
        self.assertEqual(schema_for(int | None), expected)

    def test_literal_enum_and_annotated(self):
        self.assertEqual(schema_for(typing.Literal["a", "b"]), {"type": "string", "enum": ["a", "b"]})
        self.assertEqual(schema_for(typing.Literal[1, "x"]), {"enum": [1, "x"]})
        self.assertEqual(schema_for(Color), {"type": "string", "enum": ["red", "green"]})
        self.assertEqual(schema_for(typing.Annotated[int, "a count"]), {"type": "integer", "description": "a count"})

    def test_typeddict_and_dataclass(self):
        self.assertEqual(
            schema_for(Movie),
            {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["title", "year"],
            },
        )
        self.assertEqual(
            schema_for(Point),
            {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer", "default": 0}, "tags": {"type": "array"}},
                "required": ["x"],
            },
        )

    def test_unsupported_type_names_the_type(self):
        class Opaque:
            pass

        with self.assertRaises(UnsupportedType) as caught:
            schema_for(Opaque)
        self.assertIn("Opaque", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
