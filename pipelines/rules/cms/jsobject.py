"""A small, tolerant JavaScript object-literal reader (jpage configurations, InitData arrays).

Pure; no settings.
"""

from __future__ import annotations

import re

_JS_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_JS_IDENT = re.compile(r"[\w$]+")
_JS_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)
_JS_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if len(code) > 1:
            return chr(int(code[1:], 16))
        return _JS_SIMPLE_ESCAPES.get(code, code)

    return _JS_ESCAPE.sub(one, raw)


def _skip(s: str, i: int) -> int:
    m = _JS_SKIP.match(s, i)
    return m.end() if m else i


def _js_string(s: str, i: int) -> tuple[str, int]:
    quote, j = s[i], i + 1
    while j < len(s) and s[j] != quote:
        j += 2 if s[j] == "\\" else 1
    return _unescape(s[i + 1 : j]), j + 1


def _js_expression_end(s: str, i: int) -> int:
    depth, j = 0, i
    while j < len(s):
        ch = s[j]
        if ch in "'\"":
            j = _js_string(s, j)[1]
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        j += 1
    return j


def _js_value(s: str, i: int) -> tuple[object, int]:
    i = _skip(s, i)
    if i >= len(s):
        return None, i
    if s[i] == "{":
        return parse_js_object(s, i)
    if s[i] == "[":
        items: list[object] = []
        i += 1
        while True:
            i = _skip(s, i)
            if i >= len(s) or s[i] == "]":
                return items, i + 1
            if s[i] == ",":
                i += 1
                continue
            value, i = _js_value(s, i)
            items.append(value)
            i = _skip(s, i)
            if i < len(s) and s[i] not in ",]":
                i = _js_expression_end(s, i)  # 'a' + 'b': keep the first part
    if s[i] in "'\"":
        value, end = _js_string(s, i)
        after = _skip(s, end)
        if after >= len(s) or s[after] in ",}]":
            return value, end
    end = _js_expression_end(s, i)
    return s[i:end].strip(), end


def parse_js_object(s: str, i: int) -> tuple[dict[str, object], int]:
    """Read the object literal starting at ``s[i] == "{"``: strings, numbers (as text), nested objects, arrays.

    Other expressions come back as their source text. Tolerant: stops quietly at anything it cannot read.
    """
    out: dict[str, object] = {}
    i += 1
    while True:
        i = _skip(s, i)
        if i >= len(s):
            return out, i
        if s[i] == "}":
            return out, i + 1
        if s[i] == ",":
            i += 1
            continue
        if s[i] in "'\"":
            key, i = _js_string(s, i)
        elif m := _JS_IDENT.match(s, i):
            key, i = m.group(), m.end()
        else:
            return out, i
        i = _skip(s, i)
        if i >= len(s) or s[i] != ":":
            return out, i
        out[key], i = _js_value(s, i + 1)
