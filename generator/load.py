"""Load: YAML files -> plain values that remember their file, line and column.

Only a safe subset of YAML is accepted: one document per file, no anchors or aliases
(they hide content and allow "billion laughs" expansion), no explicit tags, no duplicate
keys, and a size limit. Scalars are never converted: every scalar stays text and keeps
the type YAML would have guessed (`tag`), so validation can reject `no` -> False,
`08:30` -> 510 or `012` -> 10 where text is expected instead of silently changing it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import Loc, Problems

MAX_FILE_BYTES = 1_000_000
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = yaml.resolver.Resolver()

class Scalar(str):
    """A YAML scalar: its text, where it was, and the type YAML would have given it."""

    loc: Loc
    tag: str  # "str", "int", "float", "bool", "null", "timestamp", ...

    def __new__(cls, value: str, loc: Loc, tag: str = "str") -> "Scalar":
        obj = super().__new__(cls, value)
        obj.loc = loc
        obj.tag = tag
        return obj

    def __reduce__(self):
        return (Scalar, (str(self), self.loc, self.tag))


class Mapping(dict):
    """A YAML mapping; `loc` is where it starts, `key_locs` where each key is."""

    loc: Loc
    key_locs: dict[str, Loc]

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.key_locs = {}

    def loc_of(self, key: str) -> Loc:
        value = self.get(key)
        if hasattr(value, "loc"):
            return value.loc
        return self.key_locs.get(key, self.loc)


class Sequence(list):
    loc: Loc

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc


def _loc(path: str, mark) -> Loc:
    return Loc(path, mark.line + 1, mark.column + 1)


def _short_tag(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _scalar(path: str, event) -> Scalar:
    plain = event.implicit[0]
    if plain:
        tag = _short_tag(_resolver.resolve(yaml.ScalarNode, event.value, (True, False)))
    else:
        tag = "str"
    return Scalar(event.value, _loc(path, event.start_mark), tag)


class _Builder:
    """Builds values from parser events, reporting what the safe subset forbids."""

    def __init__(self, path: str, problems: Problems):
        self.path = path
        self.problems = problems
        self.stack: list = []
        self.pending_key: list = []
        self.root = None
        self.documents = 0

    def forbid_anchor_and_tag(self, event) -> None:
        loc = _loc(self.path, event.start_mark)
        if getattr(event, "anchor", None):
            self.problems.error(loc, f"YAML anchor '&{event.anchor}' is not allowed here; write the value out in full")
        tag = getattr(event, "tag", None)
        if tag and tag != "!":
            self.problems.error(loc, f"YAML tag '{tag}' is not allowed; remove it (all values are plain text)")

    def add(self, value) -> None:
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        if isinstance(parent, Sequence):
            parent.append(value)
        elif self.pending_key[-1] is None:
            self.add_key(parent, value)
        else:
            key = self.pending_key[-1]
            parent[key] = value
            self.pending_key[-1] = None

    def add_key(self, mapping: Mapping, key) -> None:
        if not isinstance(key, Scalar):
            self.problems.error(key.loc, "a mapping key must be plain text")
            key = Scalar(f"<complex key {len(mapping)}>", key.loc)
        if key in mapping or key in mapping.key_locs:
            first = mapping.key_locs[key]
            self.problems.error(key.loc, f"duplicate key '{key}' (first defined at line {first.line}); keep only one")
            key = Scalar(f"{key}\x00dup{key.loc.line}", key.loc)  # keep parsing, drop the value
        mapping.key_locs[str(key)] = key.loc
        self.pending_key[-1] = key

    def handle(self, event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.problems.error(_loc(self.path, event.start_mark), "only one YAML document per file is allowed")
        elif isinstance(event, yaml.AliasEvent):
            self.problems.error(
                _loc(self.path, event.start_mark),
                f"YAML alias '*{event.anchor}' is not allowed; write the value out in full",
            )
            self.add(Scalar("", _loc(self.path, event.start_mark), "null"))
        elif isinstance(event, yaml.ScalarEvent):
            self.forbid_anchor_and_tag(event)
            self.add(_scalar(self.path, event))
        elif isinstance(event, yaml.MappingStartEvent):
            self.forbid_anchor_and_tag(event)
            mapping = Mapping(_loc(self.path, event.start_mark))
            self.add(mapping)
            self.stack.append(mapping)
            self.pending_key.append(None)
        elif isinstance(event, yaml.SequenceStartEvent):
            self.forbid_anchor_and_tag(event)
            seq = Sequence(_loc(self.path, event.start_mark))
            self.add(seq)
            self.stack.append(seq)
            self.pending_key.append(None)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            container = self.stack.pop()
            self.pending_key.pop()
            if isinstance(container, Mapping):
                for key in [k for k in container if "\x00dup" in k]:
                    del container[key]


def load_yaml(path: Path | str, problems: Problems, max_bytes: int = MAX_FILE_BYTES):
    """Read one YAML file. Returns its value (None if unreadable); problems go to `problems`."""
    path = str(path)
    file_loc = Loc(path, 1, 1)
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        problems.error(file_loc, f"cannot read file: {exc.strerror or exc}")
        return None
    if size > max_bytes:
        problems.error(file_loc, f"file is {size:,} bytes; the limit is {max_bytes:,}. Is this the right file?")
        return None
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.error(file_loc, f"file is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        return None
    builder = _Builder(path, problems)
    try:
        for event in yaml.parse(text, Loader=_Parser):
            builder.handle(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(path, mark) if mark else file_loc
        what = exc.problem or "malformed YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        problems.error(loc, f"malformed YAML: {what}")
        return None
    except yaml.YAMLError as exc:
        problems.error(file_loc, f"malformed YAML: {exc}")
        return None
    if builder.root is None:  # an empty file is an empty mapping, so the schema can say what is missing
        return Mapping(file_loc)
    return builder.root
