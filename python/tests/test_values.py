"""Arguments coerced to annotations on the way in, return values made JSON on the way out."""

import dataclasses
import datetime
import enum
import typing
import unittest
import uuid

from toolport_runner.coerce import coerce
from toolport_runner.serialize import NO_DEFAULT, jsonable_default, to_jsonable


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Pair:
    a: int
    b: str = "x"


class Coerce(unittest.TestCase):
    def test_numbers_and_booleans_from_strings(self):
        self.assertEqual(coerce("42", int, "n"), 42)
        self.assertEqual(coerce(3.0, int, "n"), 3)
        self.assertEqual(coerce("2.5", float, "n"), 2.5)
        self.assertIs(coerce("true", bool, "b"), True)

    def test_bad_values_name_the_argument(self):
        with self.assertRaisesRegex(TypeError, "invalid argument 'n': expected an integer"):
            coerce("many", int, "n")
        with self.assertRaisesRegex(TypeError, "invalid argument 'when': expected an ISO 8601 date"):
            coerce("soon", datetime.date, "when")

    def test_enums_by_value_or_name(self):
        self.assertIs(coerce(2, Level, "l"), Level.HIGH)
        self.assertIs(coerce("LOW", Level, "l"), Level.LOW)

    def test_union_picks_the_arm_the_value_already_matches(self):
        self.assertEqual(coerce("7", typing.Union[str, int], "u"), "7")
        self.assertEqual(coerce(7, typing.Union[str, int], "u"), 7)
        self.assertIsNone(coerce(None, typing.Optional[int], "u"))

    def test_nested_containers_and_dataclasses(self):
        self.assertEqual(coerce(["1", "2"], list[int], "xs"), [1, 2])
        self.assertEqual(coerce([1, "a"], tuple[int, str], "t"), (1, "a"))
        self.assertEqual(coerce({"a": "5"}, Pair, "p"), Pair(a=5))
        with self.assertRaisesRegex(TypeError, "an object without c"):
            coerce({"a": 1, "c": 2}, Pair, "p")


class ToJsonable(unittest.TestCase):
    def test_converts_rich_values(self):
        value = {
            "pair": Pair(1),
            "level": Level.HIGH,
            "when": datetime.date(2024, 1, 2),
            "id": uuid.UUID(int=1),
            "set": {3, 1, 2},
            "tuple": (1, 2),
            "bytes": b"hi",
            "nan": float("nan"),
        }
        self.assertEqual(
            to_jsonable(value),
            {
                "pair": {"a": 1, "b": "x"},
                "level": 2,
                "when": "2024-01-02",
                "id": "00000000-0000-0000-0000-000000000001",
                "set": [1, 2, 3],
                "tuple": [1, 2],
                "bytes": "aGk=",
                "nan": None,
            },
        )

    def test_strict_mode_refuses_what_has_no_faithful_json_form(self):
        self.assertIs(jsonable_default(object()), NO_DEFAULT)
        self.assertEqual(jsonable_default((1, 2)), [1, 2])
        self.assertIsInstance(to_jsonable(object()), str)


if __name__ == "__main__":
    unittest.main()
