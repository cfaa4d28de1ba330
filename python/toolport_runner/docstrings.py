"""Descriptions of a function and its parameters from Google, NumPy and reST docstrings."""

import inspect
import re


_GOOGLE_PARAM_HEADERS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "kwargs"}
_GOOGLE_HEADERS = _GOOGLE_PARAM_HEADERS | {
    "returns", "return", "yields", "yield", "raises", "raise", "examples", "example", "note", "notes",
    "see also", "attributes", "todo", "warning", "warnings", "references",
}
_GOOGLE_PARAM_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_PARAM_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?::\s*(.*))?$")
_REST_PARAM = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:([^:]*?)\s+)?(\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")


def _indent(line):
    return len(line) - len(line.lstrip())


def parse_docstring(doc):
    """Returns (description, {param: description}, returns description) of a cleaned docstring."""
    if not doc:
        return "", {}, ""
    lines = inspect.cleandoc(doc).splitlines()
    params = {}
    returns = ""
    desc_end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        header = stripped[:-1].strip().lower() if stripped.endswith(":") else None
        is_numpy = (
            i + 1 < len(lines) and stripped and re.fullmatch(r"-{3,}", lines[i + 1].strip() or "") is not None
        )
        if is_numpy:
            desc_end = min(desc_end, i)
            name = stripped.lower()
            i, block = _section_block(lines, i + 2, numpy=True)
            if name in ("parameters", "params", "other parameters", "keyword arguments"):
                params.update(_numpy_params(block))
            elif name in ("returns", "yields") and block:
                returns = " ".join(l.strip() for l in block[1:] if l.strip()) or block[0].strip()
            continue
        if header is not None and header in _GOOGLE_HEADERS and _indent(line) == 0:
            desc_end = min(desc_end, i)
            i, block = _section_block(lines, i + 1, numpy=False)
            if header in _GOOGLE_PARAM_HEADERS:
                params.update(_google_params(block))
            elif header in ("returns", "return", "yields", "yield"):
                returns = " ".join(l.strip() for l in block if l.strip())
            continue
        if _REST_FIELD.match(stripped):
            desc_end = min(desc_end, i)
            field_lines = [stripped]
            i += 1
            while i < len(lines) and lines[i].strip() and not _REST_FIELD.match(lines[i].strip()):
                field_lines.append(lines[i].strip())
                i += 1
            text = " ".join(field_lines)
            match = _REST_PARAM.match(text)
            if match:
                params[match.group(2)] = match.group(3).strip()
            elif text.startswith((":returns:", ":return:")):
                returns = text.split(":", 2)[2].strip()
            continue
        i += 1
    description = "\n".join(lines[:desc_end]).strip()
    return description, params, returns


def _section_block(lines, start, numpy):
    """Lines of one section: until a blank-line-separated new header (numpy) or a dedent (google)."""
    block = []
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if numpy:
            if i + 1 < len(lines) and stripped and re.fullmatch(r"-{3,}", lines[i + 1].strip() or ""):
                break
        else:
            if stripped and _indent(line) == 0:
                break
        block.append(line)
        i += 1
    while block and not block[-1].strip():
        block.pop()
    return i, block


def _google_params(block):
    """`name (type): text` entries; a line at the entry indent that is no entry continues the text."""

    def entry(text):
        match = _GOOGLE_PARAM_LINE.match(text)
        return (match.group(1), match.group(3).strip()) if match else None

    return _param_entries(block, entry, wraps=True)


def _numpy_params(block):
    """`name : type` entries with the text indented below; a line at the entry indent that is no entry ends one."""

    def entry(text):
        match = _NUMPY_PARAM_LINE.match(text)
        return (match.group(1), "") if match else None

    return _param_entries(block, entry, wraps=False)


def _param_entries(block, entry, wraps):
    """{name: text} of a parameter section. `entry` reads a line at the section's base indent as (name, text)
    or None; deeper lines continue the current entry, and so does an unread base line when `wraps`."""
    params = {}
    base = min((_indent(l) for l in block if l.strip()), default=0)
    current = None
    for line in block:
        if not line.strip():
            continue
        if _indent(line) == base:
            parsed = entry(line.strip())
            if parsed is not None:
                current, text = parsed
                params[current] = text
                continue
            if not wraps:
                current = None
                continue
        if current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
    return params
