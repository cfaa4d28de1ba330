import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { analyzeScript, type ScriptAnalysis } from '../../src/sources/python/index.js';

// Each function of this script pins one mapping from a Python signature to a JSON Schema.
const SCRIPT = `
from __future__ import annotations
import dataclasses
import enum
from typing import Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union, Annotated


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Movie(TypedDict):
    title: str
    year: int


class PartialMovie(TypedDict, total=False):
    title: str
    rating: float


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


def f_str(v: str): pass
def f_int(v: int): pass
def f_float(v: float): pass
def f_bool(v: bool): pass
def f_none(v: None): pass
def f_list(v: list[int]): pass
def f_typing_list(v: List[str]): pass
def f_bare_list(v: list): pass
def f_dict(v: dict[str, float]): pass
def f_typing_dict(v: Dict[str, List[int]]): pass
def f_dict_any(v: dict[str, Any]): pass
def f_tuple(v: tuple[int, str]): pass
def f_tuple_var(v: Tuple[float, ...]): pass
def f_optional(v: Optional[int]): pass
def f_pipe_none(v: str | None): pass
def f_union(v: Union[int, str]): pass
def f_literal(v: Literal["a", "b"]): pass
def f_literal_int(v: Literal[1, 2, 3]): pass
def f_enum(v: Color): pass
def f_int_enum(v: Level): pass
def f_typeddict(v: Movie): pass
def f_typeddict_partial(v: PartialMovie): pass
def f_dataclass(v: Point): pass
def f_any(v: Any): pass
def f_unannotated(v): pass
def f_set(v: set[str]): pass
def f_annotated(v: Annotated[int, "how many"]): pass
def f_defaults(a: int, b: str = "x", c: Optional[float] = None, d: bool = False, e: list[int] = [1, 2]): pass
`;

const P = (v: Record<string, unknown>, required = true) => ({
  type: 'object',
  properties: { v },
  ...(required ? { required: ['v'] } : {}),
});

const TABLE: [string, Record<string, unknown>][] = [
  ['f_str', P({ type: 'string' })],
  ['f_int', P({ type: 'integer' })],
  ['f_float', P({ type: 'number' })],
  ['f_bool', P({ type: 'boolean' })],
  ['f_none', P({ type: 'null' })],
  ['f_list', P({ type: 'array', items: { type: 'integer' } })],
  ['f_typing_list', P({ type: 'array', items: { type: 'string' } })],
  ['f_bare_list', P({ type: 'array' })],
  ['f_dict', P({ type: 'object', additionalProperties: { type: 'number' } })],
  ['f_typing_dict', P({ type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } })],
  ['f_dict_any', P({ type: 'object' })],
  ['f_tuple', P({ type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }], minItems: 2, maxItems: 2 })],
  ['f_tuple_var', P({ type: 'array', items: { type: 'number' } })],
  ['f_optional', P({ anyOf: [{ type: 'integer' }, { type: 'null' }] })],
  ['f_pipe_none', P({ anyOf: [{ type: 'string' }, { type: 'null' }] })],
  ['f_union', P({ anyOf: [{ type: 'integer' }, { type: 'string' }] })],
  ['f_literal', P({ type: 'string', enum: ['a', 'b'] })],
  ['f_literal_int', P({ type: 'integer', enum: [1, 2, 3] })],
  ['f_enum', P({ type: 'string', enum: ['red', 'green'] })],
  ['f_int_enum', P({ type: 'integer', enum: [1, 2] })],
  [
    'f_typeddict',
    P({
      type: 'object',
      properties: { title: { type: 'string' }, year: { type: 'integer' } },
      required: ['title', 'year'],
    }),
  ],
  ['f_typeddict_partial', P({ type: 'object', properties: { title: { type: 'string' }, rating: { type: 'number' } } })],
  [
    'f_dataclass',
    P({
      type: 'object',
      properties: {
        x: { type: 'integer' },
        y: { type: 'integer', default: 0 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['x'],
    }),
  ],
  ['f_any', P({})],
  ['f_unannotated', P({})],
  ['f_set', P({ type: 'array', uniqueItems: true, items: { type: 'string' } })],
  ['f_annotated', P({ type: 'integer', description: 'how many' })],
  [
    'f_defaults',
    {
      type: 'object',
      properties: {
        a: { type: 'integer' },
        b: { type: 'string', default: 'x' },
        c: { anyOf: [{ type: 'number' }, { type: 'null' }], default: null },
        d: { type: 'boolean', default: false },
        e: { type: 'array', items: { type: 'integer' }, default: [1, 2] },
      },
      required: ['a'],
    },
  ],
];

const DOCSTRINGS = `
def google(a: int, b: str = "x") -> int:
    """Adds things the Google way.

    Longer explanation that
    spans lines.

    Args:
        a: The first value.
        b (str): The second value,
            continued on the next line.

    Returns:
        The total.
    """


def numpy_style(a: int, b: str) -> dict:
    """Adds things the NumPy way.

    Parameters
    ----------
    a : int
        The first value.
    b : str
        The second value,
        continued.

    Returns
    -------
    dict
        A mapping.
    """


def rest(a: int, b: str) -> list[str]:
    """Adds things the reST way.

    :param a: The first value.
    :param str b: The second value,
        continued.
    :returns: Some strings.
    """


def plain() -> None:
    """Just a summary line."""
`;

describe('python signature → JSON Schema', () => {
  let analysis: ScriptAnalysis;
  let docs: ScriptAnalysis;

  beforeAll(async () => {
    [analysis, docs] = await Promise.all([
      analyzeScript({ content: SCRIPT, filename: 'types.py' }),
      analyzeScript({ content: DOCSTRINGS, filename: 'docs.py' }),
    ]);
  });
  afterAll(() => undefined);

  it.each(TABLE)('%s maps to its exact schema', (name, schema) => {
    const fn = analysis.functions.find((f) => f.name === name);
    expect(fn, `${name} should be analysed; skipped: ${JSON.stringify(analysis.skipped)}`).toBeDefined();
    expect(fn!.inputSchema).toEqual(schema);
  });

  it('skips classes defined in the script with a reason', () => {
    expect(analysis.skipped).toEqual(
      expect.arrayContaining([
        { name: 'Color', reason: 'class (only functions become tools)' },
        { name: 'Point', reason: 'class (only functions become tools)' },
      ]),
    );
    expect(analysis.functions.map((f) => f.name)).not.toContain('Color');
  });

  it('reads Google docstrings: summary, args with continuation lines, returns', () => {
    const fn = docs.functions.find((f) => f.name === 'google')!;
    expect(fn.description).toBe('Adds things the Google way.\n\nLonger explanation that\nspans lines.');
    expect(fn.inputSchema).toEqual({
      type: 'object',
      properties: {
        a: { type: 'integer', description: 'The first value.' },
        b: { type: 'string', description: 'The second value, continued on the next line.', default: 'x' },
      },
      required: ['a'],
    });
    expect(fn.outputSchema).toEqual({
      type: 'object',
      properties: { result: { type: 'integer', description: 'The total.' } },
      required: ['result'],
    });
  });

  it('reads NumPy docstrings and keeps object return types unwrapped', () => {
    const fn = docs.functions.find((f) => f.name === 'numpy_style')!;
    expect(fn.description).toBe('Adds things the NumPy way.');
    expect(fn.inputSchema.properties).toEqual({
      a: { type: 'integer', description: 'The first value.' },
      b: { type: 'string', description: 'The second value, continued.' },
    });
    expect(fn.outputSchema).toEqual({ type: 'object' });
  });

  it('reads reST docstrings and wraps non-object returns as {result}', () => {
    const fn = docs.functions.find((f) => f.name === 'rest')!;
    expect(fn.description).toBe('Adds things the reST way.');
    expect(fn.inputSchema.properties).toEqual({
      a: { type: 'integer', description: 'The first value.' },
      b: { type: 'string', description: 'The second value, continued.' },
    });
    expect(fn.outputSchema).toEqual({
      type: 'object',
      properties: { result: { type: 'array', items: { type: 'string' }, description: 'Some strings.' } },
      required: ['result'],
    });
  });

  it('gives a function without parameters an empty object schema and no output schema for None', () => {
    const fn = docs.functions.find((f) => f.name === 'plain')!;
    expect(fn).toMatchObject({
      description: 'Just a summary line.',
      inputSchema: { type: 'object', properties: {} },
      outputSchema: null,
    });
  });
});
