"""A `Briefing` to JSON and back, for the store's memory (not the public `--format json`,
which qa/brief/output.py documents). Driven by the records' type hints, so a field added to a
record is stored without touching this file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from typing import Any

from qa import records
from qa.records import Briefing


def dumps(briefing: Briefing) -> str:
    return json.dumps(_encode(briefing), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Briefing:
    value = _decode(Briefing, json.loads(text))
    assert isinstance(value, Briefing)
    return value


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _decode(options[0], value)
    if origin is typing.Literal:
        return value
    if origin in (list, tuple):
        args = typing.get_args(kind)
        items = [_decode(args[0], v) for v in value]
        if origin is list:
            return items
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(items)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind, vars(records))
        return kind(**{f.name: _decode(hints[f.name], value[f.name])
                       for f in dataclasses.fields(kind) if f.name in value})
    return value
