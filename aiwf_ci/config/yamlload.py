"""A YAML loader that remembers line numbers, so config errors can name ``file:line``.

PyYAML's ``SafeLoader`` forgets positions once it builds Python objects; this one builds
``LineMap``/``LineList`` (plain dict/list subclasses) that carry the line of every key and item.
Duplicate keys are an error here, not a silent "last one wins".

Merge keys work as in YAML 1.1 (``<<: *defaults``, ``<<: [*a, *b]``): keys written in the
mapping win over merged ones, and earlier mappings in the list win over later ones. A merged
key keeps the line where it is written (in the anchor), so errors point at the real text.

The input is untrusted (a pull request can change it), so the work is bounded: the text is at
most ``MAX_BYTES`` of valid UTF-8 with at most ``MAX_NODES`` values, collections nest at most
``MAX_DEPTH`` deep (also through aliases), aliases may add at most ``MAX_ALIAS_NODES`` values
and ``MAX_ALIAS_CHARS`` characters of text ("billion laughs" stops at the alias that crosses
the line, before anything is built), and integers have at most ``MAX_INT_CHARS`` characters.
Tags that are not plain YAML data (``!!python/...``) are refused, never run. Every problem is
a ``LoadError`` (a ``yaml.MarkedYAMLError``) whose ``problem`` is one line that says what to
do, with a ``problem_mark`` on the offending line when there is one; values quoted in it are
cut to ``MAX_QUOTE`` characters.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
"""1 MiB of UTF-8, checked before parsing: 10x a generous suite (500 benchmarks of 200 bytes).
PyYAML's pure-Python scanner needs 1-5 s for its slowest 1 MiB (whitespace, folded text)."""

MAX_NODES = 50_000
"""Values written in the file. PyYAML builds ~10-50k nodes a second, so this bounds the
per-value work to a few seconds; a real suite has a few thousand (15 per benchmark)."""

MAX_DEPTH = 64
"""Collections nested inside each other (a real config needs fewer than 10). Keeps every
recursive walk (PyYAML's composer and constructor, ``str()``, JSON) far below Python's
recursion limit."""

MAX_ALIAS_NODES = MAX_NODES
"""Values (scalars, lists, mappings) that aliases may add to the document, counting the whole
aliased subtree at each use: aliases can at most double the document, so whatever later walks
the loaded data (``str()``, JSON, the report) does at most twice the work of a big legit file.
A 20-key anchor (41 values) fits into 1,200 benchmarks; an alias bomb (9 aliases of 9 aliases
of ... = 9**9 values) is refused at its 5th level, before any Python object is built."""

MAX_ALIAS_CHARS = MAX_BYTES
"""Scalar text that aliases may add (one long scalar aliased many times is a bomb too): at
most the size of the file again."""

MAX_INT_CHARS = 1_000
"""Longer integers are refused: Python refuses decimal ones over 4,300 digits anyway, and
``1:2:3:...`` (YAML 1.1 base 60) takes quadratic time (2 minutes for 1 MiB)."""

MAX_QUOTE = 80
"""Values quoted in error messages are cut to this many characters."""

MERGE_TAG = "tag:yaml.org,2002:merge"
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class LineMap(dict[str, Any]):
    """A mapping that knows the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A list that knows the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class LoadError(yaml.MarkedYAMLError):
    """A config text this loader refuses; ``problem`` is one line and says how to fix it."""

    def __init__(self, problem: str, mark: Any = None) -> None:  # a PyYAML or libyaml Mark
        super().__init__(None, None, problem, mark)


class DuplicateKeyError(LoadError):
    pass


class LimitError(LoadError):
    """The text is over one of the size, depth or alias limits."""


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(value: object, limit: int = MAX_QUOTE) -> str:
    """``repr(value)`` for an error message, at most ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return clip(repr(value[:limit]), limit)  # never repr() a huge string just to cut it
    return clip(repr(value), limit)


def _tag_name(tag: str) -> str:
    short = "!!" + tag[len(_YAML_TAG_PREFIX) :] if tag.startswith(_YAML_TAG_PREFIX) else tag
    return clip(short, 60)


def _mark_at(text: str, index: int) -> yaml.Mark:
    """A mark for ``text[index]`` whose line counts breaks the way PyYAML does."""
    line, start = 0, 0
    for found in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, found.end()
    return yaml.Mark("<unicode string>", index, line, index - start, None, 0)


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        self._depth = 0  # collections open around the node being composed
        self._nodes = 0
        self._alias_nodes = 0
        self._alias_chars = 0
        # id(node) -> (values, scalar characters, collection depth) of its expanded subtree
        self._sizes: dict[int, tuple[int, int, int]] = {}
        super().__init__(stream)

    # -- composing: limits are checked on nodes, before any Python object is built --

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count_alias(event)
            return super().compose_node(parent, index)
        if event.anchor is not None and event.anchor in self.anchors:
            name = clip(str(event.anchor), 40)
            first = self.anchors[event.anchor].start_mark.line + 1
            raise LoadError(
                f"anchor &{name} is already defined on line {first}; give each anchor its own name",
                event.start_mark,
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise LimitError(
                f"more than {MAX_NODES:,} values; keep data out of the config "
                "(point to files instead)",
                event.start_mark,
            )
        opens = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if opens and self._depth >= MAX_DEPTH:
            raise LimitError(
                f"nested deeper than {MAX_DEPTH} levels; flatten the structure",
                event.start_mark,
            )
        self._depth += opens
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= opens
        if node is not None:
            self._sizes[id(node)] = self._measure(node)
        return node

    def _count_alias(self, event: yaml.AliasEvent) -> None:
        name = clip(str(event.anchor), 40)
        target = self.anchors.get(event.anchor)
        if target is None:
            raise LoadError(
                f"alias *{name} has no anchor; define &{name} on a value before using *{name}",
                event.start_mark,
            )
        size = self._sizes.get(id(target))
        if size is None:  # the anchored node is still open: it would contain itself
            raise LoadError(
                f"alias *{name} is inside its own anchor &{name}; "
                "an alias must refer to a finished value",
                event.start_mark,
            )
        nodes, chars, depth = size
        if self._depth + depth > MAX_DEPTH:
            raise LimitError(
                f"alias *{name} nests the document deeper than {MAX_DEPTH} levels; "
                "flatten the structure",
                event.start_mark,
            )
        self._alias_nodes += nodes
        self._alias_chars += chars
        if self._alias_nodes > MAX_ALIAS_NODES:
            raise LimitError(
                f"aliases expand to more than {MAX_ALIAS_NODES:,} values (at *{name}); "
                "use fewer aliases of smaller anchors",
                event.start_mark,
            )
        if self._alias_chars > MAX_ALIAS_CHARS:
            raise LimitError(
                f"aliases expand to more than {MAX_ALIAS_CHARS:,} characters of text "
                f"(at *{name}); use fewer aliases of long values",
                event.start_mark,
            )

    def _measure(self, node: yaml.Node) -> tuple[int, int, int]:
        if isinstance(node, yaml.ScalarNode):
            value = str(node.value)
            found = _SURROGATE.search(value)
            if found:
                raise LoadError(
                    f"a lone surrogate \\u{ord(found.group()):04x} is not valid Unicode "
                    "text; remove the \\u escape or write the whole character",
                    node.start_mark,
                )
            return 1, len(value), 0
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        else:
            children = [child for pair in node.value for child in pair]
        sizes = [self._sizes[id(child)] for child in children]
        return (
            1 + sum(s[0] for s in sizes),
            sum(s[1] for s in sizes),
            1 + max((s[2] for s in sizes), default=0),
        )

    # -- constructing --

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # e.g. a 5,000-digit int, 2024-13-45
            shown = quote(node.value) if isinstance(node, yaml.ScalarNode) else "here"
            raise LoadError(
                f"cannot read the value {shown}: {clip(str(exc))}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if len(node.value) > MAX_INT_CHARS:
            raise LimitError(
                f"a number with more than {MAX_INT_CHARS:,} characters ({quote(node.value)}); "
                "quote it if it is text",
                node.start_mark,
            )
        return super().construct_yaml_int(node)

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise LoadError(
            f"the tag {_tag_name(node.tag)} is not allowed: a config is plain data and never "
            "builds objects or runs code; remove the tag",
            node.start_mark,
        )

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:  # type: ignore[override]
        explicit: set[str] = set()
        merge_seen = False
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                if merge_seen:
                    raise DuplicateKeyError(
                        "duplicate merge key '<<'; merge several mappings with <<: [*a, *b]",
                        key_node.start_mark,
                    )
                merge_seen = True
                continue
            key = self._key(key_node)
            if key in explicit:
                raise DuplicateKeyError(f"duplicate key {quote(key)}", key_node.start_mark)
            explicit.add(key)

        result = LineMap()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                key = self._key(key_node)
                result[key] = self.construct_object(value_node, deep=True)
                result.key_lines[key] = key_node.start_mark.line + 1
                continue
            for source in self._merge_sources(key_node, value_node):
                for key, value in source.items():
                    if key not in explicit and key not in result:
                        result[key] = value
                        result.key_lines[key] = source.line_of(key)
        return result

    def _key(self, key_node: yaml.Node) -> str:
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            raise LoadError(
                f"a key must be a plain value, not a {kind}; write the key as text",
                key_node.start_mark,
            )
        key = self.construct_object(key_node, deep=True)
        return key if isinstance(key, str) else str(key)

    def _merge_sources(self, key_node: yaml.Node, value_node: yaml.Node) -> list[LineMap]:
        nodes = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        sources = []
        for source_node in nodes:
            source = self.construct_object(source_node, deep=True)
            if not isinstance(source, LineMap):
                raise LoadError(
                    "a merge key '<<' takes a mapping or a list of mappings, "
                    "e.g. <<: *defaults or <<: [*a, *b]",
                    key_node.start_mark,  # an alias's node is marked where its anchor is
                )
            sources.append(source)
        return sources

    def construct_merge_text(self, node: yaml.ScalarNode) -> str:
        return str(self.construct_scalar(node))

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _LineLoader.construct_yaml_int)
# ``<<`` anywhere but as a key (``note: <<``) is just the text.
_LineLoader.add_constructor(MERGE_TAG, _LineLoader.construct_merge_text)
_LineLoader.add_constructor(None, _LineLoader.construct_undefined)


def _too_big(size: str) -> LimitError:
    return LimitError(
        f"the file has {size}; a config may have at most {MAX_BYTES // (1024 * 1024)} MiB "
        f"({MAX_BYTES:,} bytes): keep data out of the config (point to files instead)"
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        before = data[: exc.start].decode("utf-8")  # valid: decoding stopped at exc.start
        mark = _mark_at(before, len(before))
        raise LoadError(
            f"invalid UTF-8 (byte 0x{bad} at column {mark.column + 1}); save the file as UTF-8",
            mark,
        ) from None


def _check_text(text: str) -> None:
    if len(text) > MAX_BYTES:  # more characters than the limit: more bytes too
        raise _too_big(f"more than {MAX_BYTES:,} characters")
    found = _SURROGATE.search(text)
    if found:
        raise LoadError(
            f"a lone surrogate U+{ord(found.group()):04X} is not valid UTF-8 text; "
            "save the file as UTF-8",
            _mark_at(text, found.start()),
        )
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise _too_big(f"{size:,} bytes")


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML document into LineMap/LineList/scalars.

    ``text`` is the file's text, or its raw bytes (which must be UTF-8). Raises a
    ``yaml.YAMLError`` -- a ``LoadError`` for everything this loader refuses -- whose
    ``problem`` is one line and whose ``problem_mark`` (when set) is on the offending line.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _too_big(f"{len(text):,} bytes")
        text = _decode(text)
    _check_text(text)
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character; PyYAML gives no line
        raise LoadError(
            f"the character U+{exc.character:04X} is not allowed in YAML; remove it, or write "
            'it as an escape ("\\x..") inside a double-quoted string',
            _mark_at(text, exc.position),
        ) from None
    try:
        return loader.get_single_data()
    except LoadError:
        raise
    except yaml.MarkedYAMLError as exc:  # PyYAML's own message may quote a huge value
        exc.context = None if exc.context is None else clip(exc.context, 2 * MAX_QUOTE)
        exc.problem = None if exc.problem is None else clip(exc.problem, 2 * MAX_QUOTE)
        raise
    finally:
        loader.dispose()
