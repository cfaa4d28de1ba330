"""Docstring parsing: descriptions of functions, parameters and return values in the three styles."""

import unittest

from toolport_runner.docstrings import parse_docstring


class GoogleStyle(unittest.TestCase):
    def test_reads_description_params_and_returns(self):
        doc = """Adds two numbers.

        More detail here.

        Args:
            a (int): The first number.
            b: The second number, described
                over two lines.
            **kwargs: Extra options.

        Returns:
            The sum.
        """
        description, params, returns = parse_docstring(doc)
        self.assertEqual(description, "Adds two numbers.\n\nMore detail here.")
        self.assertEqual(
            params,
            {"a": "The first number.", "b": "The second number, described over two lines.", "kwargs": "Extra options."},
        )
        self.assertEqual(returns, "The sum.")

    def test_an_unparsable_line_at_entry_indent_continues_the_previous_entry(self):
        _, params, _ = parse_docstring("Doc.\n\nArgs:\n    a: first\n    not an entry line\n")
        self.assertEqual(params, {"a": "first not an entry line"})

    def test_other_sections_end_the_description_but_add_no_params(self):
        description, params, _ = parse_docstring("Doc.\n\nRaises:\n    ValueError: never\n")
        self.assertEqual((description, params), ("Doc.", {}))


class NumpyStyle(unittest.TestCase):
    def test_reads_params_with_types_and_indented_text(self):
        doc = """Scales a vector.

        Parameters
        ----------
        v : list[float]
            The vector,
            any length.
        factor
            How much.

        Returns
        -------
        list[float]
            The scaled vector.
        """
        description, params, returns = parse_docstring(doc)
        self.assertEqual(description, "Scales a vector.")
        self.assertEqual(params, {"v": "The vector, any length.", "factor": "How much."})
        self.assertEqual(returns, "The scaled vector.")

    def test_an_unparsable_line_at_entry_indent_ends_the_entry(self):
        doc = "Doc.\n\nParameters\n----------\nx : int\n    kept\nx, y : int\n    dropped\n"
        _, params, _ = parse_docstring(doc)
        self.assertEqual(params, {"x": "kept"})


class RestStyle(unittest.TestCase):
    def test_reads_param_fields_with_and_without_types(self):
        doc = """Greets someone.

        :param str name: Who to greet,
            politely.
        :param loud: Shout?
        :returns: The greeting.
        """
        description, params, returns = parse_docstring(doc)
        self.assertEqual(description, "Greets someone.")
        self.assertEqual(params, {"name": "Who to greet, politely.", "loud": "Shout?"})
        self.assertEqual(returns, "The greeting.")


class Edges(unittest.TestCase):
    def test_empty_docstring(self):
        self.assertEqual(parse_docstring(None), ("", {}, ""))
        self.assertEqual(parse_docstring(""), ("", {}, ""))

    def test_plain_text_is_all_description(self):
        self.assertEqual(parse_docstring("Just text.\nTwo lines."), ("Just text.\nTwo lines.", {}, ""))


if __name__ == "__main__":
    unittest.main()
