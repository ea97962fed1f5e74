"""The one place that knows the pack format: YAML in, a validated ``Pack`` or a list of problems out.

The CLI (`packs check`), moderator uploads and the tests all go through ``load_pack_file`` /
``parse_pack``. Every problem names the file, the line and the field, and all problems are reported at
once so a moderator can fix a pack in one pass. Nothing here ever raises anything but ``PackError``
for bad input, whatever the bytes are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from bot.collector import collector_paused
from bot.trivia.limits import DEFAULT_PACK_LIMITS, PackLimits
from bot.trivia.model import Entity, Fact, HandWrittenQuestion, Pack, Source
from bot.trivia.packfiles import BUILTIN_PACKS_DIR, pack_files
from bot.trivia.relations import KINDS, RELATIONS, Relation

# The C loader is several times faster; both are "safe" loaders that never build arbitrary objects.
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# The defaults of the caps a PackLimits sets (bot/trivia/limits.py), under the names callers know.
MAX_FILE_BYTES = DEFAULT_PACK_LIMITS.file_bytes
MAX_SOURCE_CHARS = DEFAULT_PACK_LIMITS.source_chars
MAX_DEPTH = 8
MAX_NODES = DEFAULT_PACK_LIMITS.nodes
MAX_ENTITIES = DEFAULT_PACK_LIMITS.entities
MAX_FACTS = DEFAULT_PACK_LIMITS.facts
MAX_QUESTIONS = DEFAULT_PACK_LIMITS.questions
MAX_DISTRACTORS_PER_KIND = 100
# Discord limits drive these: a prompt sits in an embed, a choice on a button (80), a quote in a field.
MAX_TITLE = 100
MAX_NAME = 80
# The question embed shows up to 1000 characters of a prompt, and each option in full up to 200 (its
# button shows the letter and as much of it as fits in 80): imported trivia needs that room.
MAX_PROMPT = 1000
MAX_ANSWER = 200
MAX_QUOTE = 1000
MAX_DESCRIPTION = 300
MAX_NOTE = 300
MAX_LICENSE = 100
MAX_ATTRIBUTION = 500
MAX_CHOICES = 5
# Shorter than this, a quote ("in", "the album") is no evidence of anything.
MIN_QUOTE_WORDS = 4
# Looking for the passage a mistyped quote meant scans the whole article (~0.15 s for a 1,000-character
# quote in a 200,000-character article), so only this many quotes per pack get a hint.
MAX_QUOTE_HINTS = 10
# How alike (rapidfuzz partial ratio, 0-100) a passage must be to a quote to be offered as the one meant.
CLOSEST_PASSAGE_CUTOFF = 60
ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
YEAR_RANGE = (1000, 2100)
# A number longer than this is never a year or a count: it is read as text, never converted, because
# converting "0xfff..." or base-60 "1:2:3:..." costs time quadratic in its length (and str() of a
# huge int raises ValueError).
MAX_NUMBER_CHARS = 32
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"

_TOP_KEYS = {"id", "title", "description", "source", "entities", "facts", "questions", "distractors"}
# Public for format detection: a mapping with any of these keys is meant as a pack.
PACK_TOP_LEVEL_KEYS = frozenset(_TOP_KEYS)
_SOURCE_KEYS = {"title", "file", "text", "url", "publisher", "license", "attribution"}
_ENTITY_KEYS = {"id", "name", "kind", "aliases", "year", "description"}
_FACT_KEYS = {"subject", "relation", "object", "quote", "via", "note", "context"}
_QUESTION_KEYS = {"id", "prompt", "answers", "choices", "quote", "note"}
# Explicit tags a pack may use: the plain JSON-like types. Anything else (!!python/..., !!timestamp,
# !!binary, local !tags) is refused rather than silently read as text.
_CORE_TAG_PREFIX = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {None, "!"} | {
    _CORE_TAG_PREFIX + name for name in ("str", "int", "float", "bool", "null", "seq", "map")
}


@dataclass(frozen=True)
class PackIssue:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class PackError(Exception):
    """A pack that cannot be used, with every problem found in it."""

    def __init__(self, issues: Iterable[PackIssue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


def normalise_quote_text(text: str) -> str:
    """Fold what a copy-paste from a web page changes: case, curly quotes and runs of white space."""
    if text.isascii():  # nothing to compose or fold: most quotes, and a pack has thousands
        return " ".join(text.lower().split())
    return _normalise_any_quote_text(text)


def _normalise_any_quote_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_QUOTE_FOLDING).casefold()
    return " ".join(text.split())


_QUOTE_FOLDING = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)


class _Article:
    """A pack's source text as its quotes are looked up in it."""

    # Quotes are found through the article's word starts, indexed by their first letters, so a pack
    # of thousands of quotes does not search the whole article for each one.
    _KEY_CHARS = 12

    def __init__(self, text: str):
        self.text = text
        self.normal = normalise_quote_text(text)
        self._positions: tuple[str, list[int]] | None = None
        self._word_starts: dict[str, list[int]] | None = None
        # Facts and hand-written questions often quote the same sentence: each is located once.
        self._located: dict[str, bool] = {}
        self.hints_left = MAX_QUOTE_HINTS

    def contains(self, quote: str) -> bool:
        found = self._located.get(quote)
        if found is None:
            found = self._located[quote] = self._locate(quote)
        return found

    def _locate(self, quote: str) -> bool:
        wanted = normalise_quote_text(quote)
        if len(wanted) >= self._KEY_CHARS:
            if self._word_starts is None:
                self._word_starts = self._index_word_starts()
            for start in self._word_starts.get(wanted[: self._KEY_CHARS], ()):
                if self.normal.startswith(wanted, start):
                    return True
        # Short quotes, and quotes that begin mid-word, are looked for the slow way.
        return wanted in self.normal

    def _index_word_starts(self) -> dict[str, list[int]]:
        normal, key_chars = self.normal, self._KEY_CHARS
        starts: dict[str, list[int]] = {}
        position = 0
        while position < len(normal):
            starts.setdefault(normal[position : position + key_chars], []).append(position)
            position = normal.find(" ", position) + 1
            if position == 0:
                break
        return starts

    def closest_passage(self, quote: str) -> str | None:
        """The passage of the article a quote that is not in it most likely meant, as the article has it."""
        if self.hints_left <= 0:
            return None
        self.hints_left -= 1
        if self._positions is None:
            self._positions = _normalise_with_positions(self.text)
        normal, positions = self._positions
        wanted = normalise_quote_text(quote)
        if not wanted or not normal:
            return None
        found = fuzz.partial_ratio_alignment(wanted, normal, score_cutoff=CLOSEST_PASSAGE_CUTOFF)
        if found is None or found.dest_end <= found.dest_start:
            return None
        first, last = _best_whole_words(wanted, normal, found.dest_start, found.dest_end)
        start, end = positions[first], positions[last - 1] + 1
        # Whole words, so the passage can be pasted over the quote as it is.
        while start > 0 and not self.text[start - 1].isspace():
            start -= 1
        while end < len(self.text) and not self.text[end].isspace():
            end += 1
        return " ".join(self.text[start:end].split())


def _best_whole_words(wanted: str, normal: str, start: int, end: int) -> tuple[int, int]:
    """Widen or narrow a window as long as the quote to the whole words that read most like the quote.

    The partial alignment is exactly as long as the quote, so a quote that dropped words ("he tweeted"
    for "he even tweeted") lands a few words short of the passage it meant.
    """
    slack = min(60, max(20, len(wanted) // 2))
    starts = [i for i in range(max(0, start - slack), min(len(normal), start + slack) + 1) if _starts_word(normal, i)]
    ends = [i for i in range(max(0, end - slack), min(len(normal), end + slack) + 1) if _ends_word(normal, i)]
    best = (start, end)
    best_score = float("-inf")
    for first in starts or [start]:
        for last in ends or [end]:
            if last <= first:
                continue
            # Characters the passage shares with the quote, less a third of those it adds: a word that
            # carries some of the quote is worth taking in, an unrelated one is not.
            shared = LCSseq.similarity(wanted, normal[first:last])
            score = shared - 0.35 * (last - first - shared)
            if score > best_score:
                best, best_score = (first, last), score
    return best


def _starts_word(text: str, index: int) -> bool:
    return index < len(text) and text[index] != " " and (index == 0 or text[index - 1] == " ")


def _ends_word(text: str, index: int) -> bool:
    return index > 0 and text[index - 1] != " " and (index == len(text) or text[index] == " ")


def _normalise_with_positions(text: str) -> tuple[str, list[int]]:
    """``normalise_quote_text`` done character by character, keeping where each output character came from."""
    folded: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            if folded and folded[-1] != " ":
                folded.append(" ")
                positions.append(index)
            continue
        for piece in unicodedata.normalize("NFKC", char).translate(_QUOTE_FOLDING).casefold():
            folded.append(piece)
            positions.append(index)
    if folded and folded[-1] == " ":
        folded.pop()
        positions.pop()
    return "".join(folded), positions


_ALNUM = re.compile(r"[^\W_]")  # a letter or a digit: what str.isalnum() accepts


def _word_count(text: str, most: int) -> int:
    """How many words (runs of non-space with a letter or digit) ``text`` has, counting no further than ``most``."""
    count = 0
    for word in text.split():
        if _ALNUM.search(word):
            count += 1
            if count == most:
                break
    return count


_POSSESSIVE = re.compile(r"['’]s\b")
_VANISHING_IN_NAMES = re.compile(r"[.'‘’`]")
_WORD = re.compile(r"\w+")
_ARTICLES = ("the", "a", "an")


def _mention_form(text: str) -> str:
    """Words as a name is looked for in a quote: case, accents, possessives and "L.A." dots folded away."""
    # ASCII has no accents to strip and nothing to compose: most quotes and names skip the folding.
    text = text.lower() if text.isascii() else _without_accents(text)
    text = _VANISHING_IN_NAMES.sub("", _POSSESSIVE.sub("", text))
    return " ".join(_WORD.findall(text))


def _without_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(char for char in text if not unicodedata.combining(char))


def _mention_keys(names: Iterable[str]) -> tuple[str, ...]:
    """Each name as ``_quote_names`` looks for it: its mention form, padded with spaces to match whole words."""
    keys = []
    for name in names:
        words = _mention_form(name).split()
        if len(words) > 1 and words[0] in _ARTICLES:
            words = words[1:]  # the "Stronger" music video is named by "music video" wherever it is
        if words:
            keys.append(f" {' '.join(words)} ")
    return tuple(keys)


def _quote_names(quote: str, mention_keys: Iterable[str]) -> bool:
    quoted = f" {_mention_form(quote)} "
    return any(key in quoted for key in mention_keys)


# ---------------------------------------------------------------- YAML with line numbers


@dataclass(slots=True)
class _Node:
    """A plain value plus the line it came from, so errors can point at it.

    ``text`` is what the author wrote for a scalar (``0x1F``, ``yes``, ``1988``): fields that want
    text read it, so nothing YAML guessed about the scalar's type changes what is shown.
    """

    value: Any
    line: int
    text: str | None = None


class _Refused(Exception):
    """The document broke a limit; the problem is already recorded."""


_DROP = object()  # a mapping value to read past: its key was not text, or was a duplicate
_RESOLVER = yaml.resolver.Resolver()  # what type a plain scalar is ("1988" an int), as compose decides
_SCALAR_EVENT = yaml.ScalarEvent
_MAPPING_START_EVENT = yaml.MappingStartEvent
_SEQUENCE_START_EVENT = yaml.SequenceStartEvent
_MAPPING_END_EVENT = yaml.MappingEndEvent
_SEQUENCE_END_EVENT = yaml.SequenceEndEvent
_ALIAS_EVENT = yaml.AliasEvent
_DOCUMENT_START_EVENT = yaml.DocumentStartEvent


class _Reader:
    def __init__(self, file: str, limits: PackLimits = DEFAULT_PACK_LIMITS):
        self.file = file
        self.limits = limits
        self.issues: list[PackIssue] = []
        self._scalar_constructor = yaml.constructor.SafeConstructor()

    def problem(self, line: int, field: str, message: str) -> None:
        self.issues.append(PackIssue(self.file, line, field, message))

    def parse(self, text: str) -> _Node | None:
        """The document as line-annotated values, read in one pass over the YAML event stream.

        Iterative, so hostile nesting costs nothing; the limits of ``_pre_scan`` are checked as it goes.
        (Parsing the text twice, to check and then to compose, was half of a large pack's load time.)
        """
        try:
            root = self._build(text)
        except yaml.YAMLError as error:
            self._yaml_problem(error)
            return None
        except _Refused:
            return None
        if root is None:
            self.problem(
                1, "(file)", "the file is empty; a pack is a mapping with id, title, source, entities and facts"
            )
            return None
        return root

    def _build(self, text: str) -> _Node | None:
        root: _Node | None = None
        # Open collections, innermost last: [node, field, pending, items so far, is a mapping]. In a
        # mapping, ``pending`` is None while a key is expected, else the key whose value comes next (or _DROP).
        stack: list[list[Any]] = []
        skipping = 0  # depth inside a dropped subtree (a key that is not text, or a duplicate's value)
        after_skip: object = None  # what the mapping expects once the dropped subtree ends
        depth = nodes = 0
        node_cap = self.limits.nodes
        # Dispatch on the exact event class: a pack's scalars are most of its events, and each should
        # cost one comparison here, not a chain of isinstance checks.
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            if kind is _SCALAR_EVENT:
                nodes += 1
                if nodes > node_cap or event.tag not in _ALLOWED_TAGS:
                    self._refuse(event, nodes)
                if skipping:
                    continue
                parent = stack[-1] if stack else None
                if parent is not None and parent[4]:
                    pending = parent[2]
                    if pending is None:
                        # A key: field names are text (as written), and each may appear once.
                        key = _bounded(event.value, 64)
                        if key in parent[0].value:
                            self.problem(event.start_mark.line + 1, _join(parent[1], key), "duplicate key")
                            parent[2] = _DROP
                        else:
                            parent[2] = key
                        continue
                    if pending is _DROP:
                        parent[2] = None
                        continue
                node = _Node(self._scalar_value(event), event.start_mark.line + 1, event.value)
                if parent is None:
                    root = node
                else:
                    self._place(parent, node)
            elif kind is _MAPPING_START_EVENT or kind is _SEQUENCE_START_EVENT:
                nodes += 1
                if nodes > node_cap or event.tag not in _ALLOWED_TAGS:
                    self._refuse(event, nodes)
                depth += 1
                if depth > MAX_DEPTH:
                    self.problem(event.start_mark.line + 1, "(file)", f"nested deeper than {MAX_DEPTH} levels")
                    raise _Refused
                if skipping:
                    skipping += 1
                    continue
                parent = stack[-1] if stack else None
                is_mapping = kind is _MAPPING_START_EVENT
                if parent is not None and parent[4]:
                    if parent[2] is None:
                        kind_name = "a mapping" if is_mapping else "a list"
                        self.problem(event.start_mark.line + 1, parent[1], f"keys must be text, got {kind_name}")
                        skipping, after_skip = 1, _DROP  # the key, then its value
                        continue
                    if parent[2] is _DROP:
                        skipping, after_skip = 1, None
                        continue
                node = _Node({} if is_mapping else [], event.start_mark.line + 1)
                if parent is None:
                    root = node
                stack.append([node, self._field_for(parent), None, 0, is_mapping])
            elif kind is _MAPPING_END_EVENT or kind is _SEQUENCE_END_EVENT:
                depth -= 1
                if skipping:
                    skipping -= 1
                    if skipping == 0:
                        stack[-1][2] = after_skip
                    continue
                node = stack.pop()[0]
                if stack:
                    self._place(stack[-1], node)
            elif kind is _ALIAS_EVENT:
                self._refuse(event, nodes + 1)
            elif kind is _DOCUMENT_START_EVENT and event.start_mark.index > 0 and nodes:
                self.problem(event.start_mark.line + 1, "(file)", "a pack file holds one YAML document")
                raise _Refused
        return root

    def _refuse(self, event: yaml.NodeEvent, nodes: int) -> None:
        """Record why the document is refused (an alias, an odd tag, too many values) and stop reading it."""
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self.problem(line, "(file)", "YAML aliases (*name) are not allowed in packs")
            raise _Refused
        tag = getattr(event, "tag", None)
        if tag not in _ALLOWED_TAGS:
            shown = "!!" + tag[len(_CORE_TAG_PREFIX) :] if tag.startswith(_CORE_TAG_PREFIX) else tag
            self.problem(line, "(file)", f"YAML tags such as {shown} are not allowed in packs")
            raise _Refused
        self.problem(line, "(file)", f"more than {self.limits.nodes} YAML values")
        raise _Refused

    @staticmethod
    def _field_for(parent: list[Any] | None) -> str:
        if parent is None:
            return "(file)"
        if parent[4]:
            return _join(parent[1], parent[2])
        return f"{parent[1]}[{parent[3]}]"

    @staticmethod
    def _place(parent: list[Any], node: _Node) -> None:
        """Put a finished value into the collection that holds it."""
        if parent[4]:
            parent[0].value[parent[2]] = node
            parent[2] = None
        else:
            parent[0].value.append(node)
            parent[3] += 1

    def _scalar_value(self, event: yaml.ScalarEvent) -> Any:
        """The value a scalar event stands for, as composing and constructing it would give."""
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return event.value  # quoted or a block: text, without asking the resolver
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value
        return self._scalar(yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))

    def _pre_scan(self, text: str) -> bool:
        """Walk the event stream first: it is iterative, so hostile nesting or aliases cost nothing."""
        depth = 0
        nodes = 0
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    line = event.start_mark.line + 1
                    self.problem(line, "(file)", "YAML aliases (*name) are not allowed in packs")
                    return False
                if isinstance(event, yaml.NodeEvent):
                    nodes += 1
                    tag = getattr(event, "tag", None)
                    if tag not in _ALLOWED_TAGS:
                        line = event.start_mark.line + 1
                        shown = "!!" + tag[len(_CORE_TAG_PREFIX) :] if tag.startswith(_CORE_TAG_PREFIX) else tag
                        self.problem(line, "(file)", f"YAML tags such as {shown} are not allowed in packs")
                        return False
                    if nodes > self.limits.nodes:
                        self.problem(event.start_mark.line + 1, "(file)", f"more than {self.limits.nodes} YAML values")
                        return False
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        line = event.start_mark.line + 1
                        self.problem(line, "(file)", f"nested deeper than {MAX_DEPTH} levels")
                        return False
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
                elif isinstance(event, yaml.DocumentStartEvent) and event.start_mark.index > 0 and nodes:
                    self.problem(event.start_mark.line + 1, "(file)", "a pack file holds one YAML document")
                    return False
        except yaml.YAMLError as error:
            self._yaml_problem(error)
            return False
        return True

    def _yaml_problem(self, error: yaml.YAMLError) -> None:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        context = getattr(error, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        self.problem(line, "(file)", message)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (_INT_TAG, _FLOAT_TAG) and len(node.value) > MAX_NUMBER_CHARS:
            return node.value
        try:
            return self._scalar_constructor.construct_object(node, deep=True)
        except Exception:  # hostile scalars make PyYAML's constructors raise KeyError, AttributeError, ...
            return node.value


def _join(field: str, key: str) -> str:
    key = key if key.strip() else repr(key)  # an empty or blank key must still show up as a field
    return key if field == "(file)" else f"{field}.{key}"


# ---------------------------------------------------------------- validation


class _Validator:
    """Turns the line-annotated tree into a Pack, collecting every problem on the way."""

    def __init__(self, reader: _Reader, base_dir: Path | None):
        self.reader = reader
        self.limits = reader.limits
        self.base_dir = base_dir
        # Ids of entities that are declared but invalid: their own problem is reported, so facts naming
        # them are dropped quietly instead of claiming the id was never declared.
        self.broken_entity_ids: set[str] = set()
        # Set when the source gives no article text: any quote then has nothing to be checked against.
        self.source_without_text: _Node | None = None
        self.article: _Article | None = None
        self._mention_keys: dict[str, tuple[str, ...]] = {}

    def problem(self, node: _Node, field: str, message: str) -> None:
        self.reader.problem(node.line, field, message)

    # -- small typed getters: each reports its own problem and returns None when unusable

    def mapping(self, node: _Node, field: str, allowed: set[str], required: Iterable[str]) -> dict[str, _Node] | None:
        if not isinstance(node.value, dict):
            self.problem(node, field, f"expected a mapping, got {_describe(node.value)}")
            return None
        for key, child in node.value.items():
            if key not in allowed:
                self.problem(child, _join(field, key), f"unknown key; expected one of {', '.join(sorted(allowed))}")
        for key in required:
            if key not in node.value:
                self.problem(node, _join(field, key), "missing")
        return node.value

    def text(self, parent: dict[str, _Node], key: str, field: str, limit: int, required: bool = True) -> str | None:
        node = parent.get(key)
        if node is None:
            return None
        return self.text_value(node, _join(field, key), limit, required)

    def text_value(self, node: _Node, field: str, limit: int, required: bool = True) -> str | None:
        value = node.value
        if value is not None and node.text is not None:
            value = node.text  # a title like 1988, 0x1F or yes is the text the author wrote
        if not isinstance(value, str):
            self.problem(node, field, f"expected text, got {_describe(value)}")
            return None
        value = value.strip()
        if required and not value:
            self.problem(node, field, "must not be empty")
            return None
        if len(value) > limit:
            self.problem(node, field, f"is {len(value)} characters; the limit is {limit}")
            return None
        return value

    def identifier(self, parent: dict[str, _Node], key: str, field: str) -> str | None:
        node = parent.get(key)
        value = self.text(parent, key, field, 64)
        if value is not None and not ID_PATTERN.match(value):
            self.problem(node, _join(field, key), f"{value!r} is not an id: use lowercase letters, digits and hyphens")
            return None
        return value

    def year(self, node: _Node, field: str) -> int | None:
        value = node.value
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= MAX_NUMBER_CHARS:
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
            written = node.text if node.text is not None else _describe(value)
            self.problem(
                node,
                field,
                f"expected a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}, got {_bounded(written, 40)}",
            )
            return None
        return value

    def flag(self, parent: dict[str, _Node], key: str, field: str) -> bool:
        node = parent.get(key)
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.problem(node, _join(field, key), f"expected true or false, got {_describe(node.value)}")
            return False
        return node.value

    def text_list(self, parent: dict[str, _Node], key: str, field: str, limit: int, most: int) -> list[str] | None:
        node = parent.get(key)
        if node is None:
            return None
        if node.text is not None and node.value is not None:
            node = _Node([node], node.line)  # a lone answer needs no list
        if not isinstance(node.value, list):
            self.problem(node, _join(field, key), f"expected a list of text, got {_describe(node.value)}")
            return None
        if len(node.value) > most:
            self.problem(node, _join(field, key), f"has {len(node.value)} items; the limit is {most}")
            return None
        items = []
        for index, item in enumerate(node.value):
            value = self.text_value(item, f"{_join(field, key)}[{index}]", limit)
            if value is not None:
                items.append(value)
        return items

    def items(self, parent: dict[str, _Node], key: str, field: str, most: int) -> list[tuple[int, _Node]]:
        node = parent.get(key)
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, list):
            self.problem(node, _join(field, key), f"expected a list, got {_describe(node.value)}")
            return []
        if len(node.value) > most:
            self.problem(node, _join(field, key), f"has {len(node.value)} items; the limit is {most}")
            return []
        return list(enumerate(node.value))

    # -- the pack itself

    def pack(self, root: _Node, path: str | None) -> Pack | None:
        top = self.mapping(root, "(file)", _TOP_KEYS, ("id", "title", "source", "entities", "facts"))
        if top is None:
            return None
        pack_id = self.identifier(top, "id", "(file)")
        title = self.text(top, "title", "(file)", MAX_TITLE)
        description = self.text(top, "description", "(file)", MAX_DESCRIPTION, required=False)
        source = self.source(top["source"]) if "source" in top else None
        entities = self.entities(top)
        entity_ids = {entity.id: entity for entity in entities}
        self.article = _Article(source.text) if source is not None and source.text else None
        facts = self.facts(top, entity_ids)
        questions = self.questions(top)
        distractors = self.distractors(top)
        if not facts and not questions and "facts" in top and not self.reader.issues:
            self.problem(top["facts"], "facts", "a pack needs at least one fact or hand-written question")
        if self.reader.issues or pack_id is None or title is None or source is None:
            return None
        return Pack(
            id=pack_id,
            title=title,
            source=source,
            entities=tuple(entities),
            facts=tuple(facts),
            questions=tuple(questions),
            distractors=distractors,
            description=description or None,
            path=path,
        )

    def source(self, node: _Node) -> Source | None:
        fields = self.mapping(node, "source", _SOURCE_KEYS, ("title",))
        if fields is None:
            return None
        title = self.text(fields, "title", "source", MAX_TITLE * 3)
        url = self.text(fields, "url", "source", 500, required=False)
        publisher = self.text(fields, "publisher", "source", MAX_NAME, required=False)
        license_name = self.text(fields, "license", "source", MAX_LICENSE, required=False)
        attribution = self.text(fields, "attribution", "source", MAX_ATTRIBUTION, required=False)
        file_name = self.text(fields, "file", "source", 200)
        inline = fields.get("text")
        if file_name is not None and inline is not None:
            self.problem(node, "source", "give the article's text either as source.file or as source.text, not both")
            return None
        if inline is not None:
            text = self.text(fields, "text", "source", self.limits.source_chars)
        elif file_name is not None:
            text = self.read_source_file(fields["file"], file_name)
        elif "file" in fields:
            return None  # source.file was given but unusable; its own problem is reported
        else:
            # Hand-written questions imported from a trivia list have no article; quotes then cannot be
            # checked, so each quote is refused where it stands.
            self.source_without_text = node
            text = ""
        if text is None or title is None:
            return None
        return Source(
            title=title,
            text=text,
            file=file_name,
            url=url or None,
            publisher=publisher or None,
            license=license_name or None,
            attribution=attribution or None,
        )

    def read_source_file(self, node: _Node, file_name: str) -> str | None:
        if self.base_dir is None:
            self.problem(node, "source.file", "uploaded packs cannot refer to files; put the article in source.text")
            return None
        candidate = Path(file_name)
        if candidate.is_absolute() or ".." in candidate.parts:
            self.problem(node, "source.file", "must be a file name beside the pack, not a path outside it")
            return None
        path = self.base_dir / candidate
        try:
            raw = path.read_bytes()
        except OSError as error:
            self.problem(node, "source.file", f"cannot read {path}: {error.strerror or error}")
            return None
        if len(raw) > self.limits.source_chars * 4:
            self.problem(node, "source.file", f"{file_name} is larger than {self.limits.source_chars} characters")
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problem(node, "source.file", f"{file_name} is not UTF-8 text")
            return None

    def entities(self, top: dict[str, _Node]) -> list[Entity]:
        entities: list[Entity] = []
        seen: set[str] = set()
        for index, node in self.items(top, "entities", "(file)", self.limits.entities):
            field = f"entities[{index}]"
            fields = self.mapping(node, field, _ENTITY_KEYS, ("id", "name", "kind"))
            if fields is None:
                continue
            entity_id = self.identifier(fields, "id", field)
            name = self.text(fields, "name", field, MAX_NAME)
            kind = self.text(fields, "kind", field, 32)
            if kind is not None and kind not in KINDS:
                self.problem(
                    fields["kind"], f"{field}.kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
                )
                kind = None
            aliases = self.text_list(fields, "aliases", field, MAX_NAME, 20) or []
            year = self.year(fields["year"], f"{field}.year") if "year" in fields else None
            description = self.text(fields, "description", field, MAX_DESCRIPTION, required=False)
            if entity_id is not None and entity_id in seen:
                self.problem(fields["id"], f"{field}.id", f"duplicate entity id {entity_id!r}")
                continue
            if entity_id is None or name is None or kind is None:
                if entity_id is not None:
                    self.broken_entity_ids.add(entity_id)
                continue
            seen.add(entity_id)
            entities.append(Entity(entity_id, name, kind, tuple(aliases), year, description or None))
        return entities

    def facts(self, top: dict[str, _Node], entities: dict[str, Entity]) -> list[Fact]:
        facts: list[Fact] = []
        seen: set[tuple[str, str, str]] = set()
        article = self.article
        years: dict[str, tuple[str, int]] = {}
        for index, node in self.items(top, "facts", "(file)", self.limits.facts):
            field = f"facts[{index}]"
            fields = self.mapping(node, field, _FACT_KEYS, ("subject", "relation", "object", "quote"))
            if fields is None:
                continue
            subject = self.entity_reference(fields, "subject", field, entities)
            relation_name = self.text(fields, "relation", field, 40)
            relation = RELATIONS.get(relation_name) if relation_name else None
            if relation_name is not None and relation is None:
                self.problem(
                    fields["relation"],
                    f"{field}.relation",
                    f"unknown relation {relation_name!r}; expected one of {', '.join(RELATIONS)}",
                )
            obj: str | None = None
            if relation is not None and "object" in fields:
                if relation.object_is_year:
                    year = self.year(fields["object"], f"{field}.object")
                    obj = str(year) if year is not None else None
                else:
                    obj = self.entity_reference(fields, "object", field, entities)
            quote = self.quote(fields, field, article)
            via = self.text(fields, "via", field, MAX_NAME, required=False)
            note = self.text(fields, "note", field, MAX_NOTE, required=False)
            context = self.flag(fields, "context", field)
            if subject is None or relation is None or obj is None:
                continue
            if not self.kinds_fit(fields, field, relation, entities[subject], obj, entities.get(obj)):
                continue
            if relation.object_is_year:
                # Checked before the quote, so a second year is reported even while the first's quote is wrong.
                year, line = years.setdefault(subject, (obj, fields["object"].line))
                if year != obj:
                    self.problem(
                        fields["object"],
                        f"{field}.object",
                        f"`{subject}` already came out in {year} (line {line}): a work has one year; "
                        "keep the year it first came out",
                    )
                    continue
            if quote is None:
                continue
            if not context and not self.quote_names_an_end(fields, field, entities[subject], obj, entities.get(obj)):
                continue
            triple = (subject, relation.name, obj)
            if triple in seen:
                self.problem(node, field, f"duplicate fact: {subject} {relation.name} {obj} is stated twice")
                continue
            seen.add(triple)
            facts.append(
                Fact(
                    fact_id(*triple),
                    subject,
                    relation.name,
                    obj,
                    quote,
                    via or None,
                    node.line,
                    note=note or None,
                    context=context,
                )
            )
        return facts

    def kinds_fit(
        self,
        fields: dict[str, _Node],
        field: str,
        relation: Relation,
        subject: Entity,
        obj: str,
        obj_entity: Entity | None,
    ) -> bool:
        """A fact's two ends must be kinds its relation takes, and two different things."""
        if obj_entity is not None and obj_entity.id == subject.id:
            self.problem(fields["object"], f"{field}.object", f"a fact cannot relate `{subject.id}` to itself")
            return False
        subject_fits = subject.kind in relation.subject_kinds
        object_fits = relation.object_is_year or (obj_entity is not None and obj_entity.kind in relation.object_kinds)
        if subject_fits and object_fits:
            return True
        ends = f"subject `{subject.id}` is {_a(subject.kind)}"
        if obj_entity is not None:
            ends += f", object `{obj_entity.id}` is {_a(obj_entity.kind)}"
        message = f"`{relation.name}` takes {relation.takes}: {ends}"
        if (
            obj_entity is not None
            and obj_entity.kind in relation.subject_kinds
            and subject.kind in relation.object_kinds
        ):
            message += "; is the fact backwards? swap subject and object"
        key = "subject" if not subject_fits else "object"
        self.problem(fields[key], f"{field}.{key}", message)
        return False

    def quote_names_an_end(
        self, fields: dict[str, _Node], field: str, subject: Entity, obj: str, obj_entity: Entity | None
    ) -> bool:
        """The quote is shown as the evidence, so it must say what it is evidence about."""
        object_keys = self.mention_keys(obj_entity) if obj_entity is not None else _mention_keys((obj,))
        if _quote_names(fields["quote"].text or "", (*self.mention_keys(subject), *object_keys)):
            return True
        other = f"`{obj_entity.id}`" if obj_entity is not None else obj
        self.problem(
            fields["quote"],
            f"{field}.quote",
            f"the quote names neither `{subject.id}` nor {other} (by name or alias): quote the words that do, "
            "or add `context: true` if the sentence before it names them",
        )
        return False

    def mention_keys(self, entity: Entity) -> tuple[str, ...]:
        """An entity's names as quotes are searched for them, worked out once per entity, not once per fact."""
        keys = self._mention_keys.get(entity.id)
        if keys is None:
            keys = self._mention_keys[entity.id] = _mention_keys(entity.names)
        return keys

    def entity_reference(
        self, fields: dict[str, _Node], key: str, field: str, entities: dict[str, Entity]
    ) -> str | None:
        value = self.text(fields, key, field, 64)
        if value is not None and value not in entities:
            if value in self.broken_entity_ids:
                return None
            self.problem(fields[key], f"{field}.{key}", f"unknown entity id {value!r}; declare it under entities")
            return None
        return value

    def quote(self, fields: dict[str, _Node], field: str, article: _Article | None) -> str | None:
        quote = self.text(fields, "quote", field, MAX_QUOTE)
        if quote is None:
            return None
        node, field = fields["quote"], f"{field}.quote"
        if self.source_without_text is not None:
            self.problem(
                node, field, "a quote needs the article's text to be checked against: add source.text or source.file"
            )
            return None
        words = _word_count(quote, MIN_QUOTE_WORDS)
        if words < MIN_QUOTE_WORDS:
            self.problem(
                node,
                field,
                f"a quote of {words} word{'' if words == 1 else 's'} is too short to be evidence; "
                f"quote at least {MIN_QUOTE_WORDS} words of the article",
            )
            return None
        if article is not None and not article.contains(quote):
            passage = article.closest_passage(quote)
            hint = f'; closest passage in the source: "{passage}"' if passage else ""
            self.problem(node, field, f"this quote is not in the source article{hint}")
            return None
        return quote

    def questions(self, top: dict[str, _Node]) -> list[HandWrittenQuestion]:
        questions: list[HandWrittenQuestion] = []
        seen: set[str] = set()
        article = self.article
        for index, node in self.items(top, "questions", "(file)", self.limits.questions):
            field = f"questions[{index}]"
            fields = self.mapping(node, field, _QUESTION_KEYS, ("id", "prompt", "answers"))
            if fields is None:
                continue
            question_id = self.identifier(fields, "id", field)
            prompt = self.text(fields, "prompt", field, MAX_PROMPT)
            answers = self.text_list(fields, "answers", field, MAX_ANSWER, 20)
            if answers is not None and not answers:
                self.problem(fields["answers"], f"{field}.answers", "a question needs at least one answer")
                answers = None
            choices = self.text_list(fields, "choices", field, MAX_ANSWER, MAX_CHOICES) or []
            if choices and answers and not any(answer in choices for answer in answers):
                self.problem(fields["choices"], f"{field}.choices", "the choices do not include any of the answers")
                choices = []
                answers = None
            elif choices and len(choices) < 2:
                self.problem(fields["choices"], f"{field}.choices", "give at least two choices, or none")
                answers = None
            elif len(set(choices)) != len(choices):
                self.problem(fields["choices"], f"{field}.choices", "the same choice is listed twice")
                answers = None
            quote = self.quote(fields, field, article) if "quote" in fields else None
            note = self.text(fields, "note", field, MAX_NOTE, required=False)
            if question_id is not None and question_id in seen:
                self.problem(fields["id"], f"{field}.id", f"duplicate question id {question_id!r}")
                continue
            if question_id is None or prompt is None or answers is None:
                continue
            seen.add(question_id)
            questions.append(
                HandWrittenQuestion(
                    question_id, prompt, tuple(answers), tuple(choices), quote, node.line, note=note or None
                )
            )
        return questions

    def distractors(self, top: dict[str, _Node]) -> dict[str, tuple[str, ...]]:
        node = top.get("distractors")
        if node is None or node.value is None:
            return {}
        fields = self.mapping(node, "distractors", set(KINDS), ())
        if fields is None:
            return {}
        lists = {}
        for kind in fields:
            if kind in KINDS:
                names = self.text_list(fields, kind, "distractors", MAX_NAME, MAX_DISTRACTORS_PER_KIND)
                lists[kind] = tuple(names or ())
        return lists


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return type(value).__name__


def _bounded(text: str, limit: int) -> str:
    """Text as it may appear in a message: a hostile 500 KB value must not make a 500 KB error."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}... ({len(text)} characters)"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def fact_id(subject: str, relation: str, obj: str) -> str:
    return f"{subject}:{relation}:{obj}"


# ---------------------------------------------------------------- public entry points


def parse_pack(
    text: str,
    file: str,
    base_dir: Path | None = None,
    path: str | None = None,
    limits: PackLimits = DEFAULT_PACK_LIMITS,
) -> Pack:
    """Validate pack YAML. ``base_dir`` is where ``source.file`` is looked up; None refuses file sources.
    ``limits`` are the size caps (a server's settings for its packs; the defaults for the built-in ones)."""
    reader = _Reader(file, limits)
    if len(text) > limits.file_bytes:
        reader.problem(1, "(file)", _too_large(limits))
        raise PackError(reader.issues)
    if not text.strip():
        reader.problem(1, "(file)", "the file is empty; a pack is a mapping with id, title, source, entities and facts")
        raise PackError(reader.issues)
    with collector_paused():
        root = reader.parse(text)
        pack = _Validator(reader, base_dir).pack(root, path) if root is not None else None
        # Freed while the collector rests: its first pass after the pause then walks the pack, not
        # also the hundreds of thousands of line-annotated values it was read from.
        del root
    if pack is None:
        if not reader.issues:  # cannot happen by construction; keep the promise of "an error, not None"
            reader.problem(1, "(file)", "not a valid pack")
        raise PackError(reader.issues)
    return pack


def compose_bounded_yaml(text: str, file: str, limits: PackLimits = DEFAULT_PACK_LIMITS) -> yaml.Node | None:
    """YAML as nodes, under the same limits as a pack (size, depth, node count; no aliases or odd tags).

    For other YAML formats read beside packs (trivia lists to import): their scalars' raw text stays
    available on the nodes. Returns None for an empty document; raises PackError otherwise.
    """
    reader = _Reader(file, limits)
    if len(text) > limits.file_bytes:
        reader.problem(1, "(file)", _too_large(limits))
        raise PackError(reader.issues)
    if not reader._pre_scan(text):
        raise PackError(reader.issues)
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        reader._yaml_problem(error)
        raise PackError(reader.issues) from None


def _too_large(limits: PackLimits) -> str:
    return f"the file is larger than {limits.file_bytes // 1024} KiB"


def decode_pack_bytes(raw: bytes, file: str, limits: PackLimits = DEFAULT_PACK_LIMITS) -> str:
    if len(raw) > limits.file_bytes:
        raise PackError([PackIssue(file, 1, "(file)", _too_large(limits))])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PackError([PackIssue(file, line, "(file)", "the file is not UTF-8 text")]) from None


def load_pack_file(path: Path, limits: PackLimits = DEFAULT_PACK_LIMITS) -> Pack:
    try:
        size = path.stat().st_size
        if size > limits.file_bytes:
            raise PackError([PackIssue(str(path), 1, "(file)", _too_large(limits))])
        raw = path.read_bytes()
    except OSError as error:
        raise PackError([PackIssue(str(path), 1, "(file)", f"cannot read: {error.strerror or error}")]) from None
    text = decode_pack_bytes(raw, str(path), limits)
    return parse_pack(text, str(path), base_dir=path.parent, path=str(path), limits=limits)


@dataclass(frozen=True)
class LoadResult:
    packs: tuple[Pack, ...]
    issues: tuple[PackIssue, ...]


def load_packs(paths: Iterable[Path], limits: PackLimits = DEFAULT_PACK_LIMITS) -> LoadResult:
    """Load every pack it can, and report the rest; two files may not claim the same pack id.

    ``limits`` apply to every pack but the built-in ones, which are always checked with the defaults:
    a server that lowers its caps still plays the packs that ship with the bot."""
    packs: list[Pack] = []
    issues: list[PackIssue] = []
    owners: dict[str, str] = {}
    for path in pack_files(paths):
        try:
            builtin = path.parent.resolve() == BUILTIN_PACKS_DIR.resolve()
            pack = load_pack_file(path, DEFAULT_PACK_LIMITS if builtin else limits)
        except PackError as error:
            issues.extend(error.issues)
            continue
        if pack.id in owners:
            issues.append(PackIssue(str(path), 1, "id", f"pack id {pack.id!r} is already used by {owners[pack.id]}"))
            continue
        owners[pack.id] = str(path)
        packs.append(pack)
    return LoadResult(tuple(packs), tuple(issues))
