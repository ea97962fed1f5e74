"""Imports of the trivia people already have: Red-DiscordBot trivia lists and Open Trivia Database JSON.

Each import becomes a pack of hand-written questions (no article, no facts), checked by the pack
validator before it is handed back, so what comes out always passes `packs check`. Every question is
kept: a question that appears twice is merged into one (its answers joined), never dropped, and the
summary says so. Problems are ``PackError``s naming the file, the line and the field, like a pack's.

Red answers must come back as the text their author wrote (``yes``, not ``True``; ``0.5``, not
``0.5000``; ``1e3``, not ``1000.0``), so the list is read with ``yaml.compose`` and each scalar's raw
text, never the value PyYAML would construct from it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from bot.trivia.packs import (
    ID_PATTERN,
    MAX_ANSWER,
    MAX_CHOICES,
    MAX_DESCRIPTION,
    MAX_PROMPT,
    MAX_TITLE,
    PACK_TOP_LEVEL_KEYS,
    PackError,
    PackIssue,
    compose_bounded_yaml,
    parse_pack,
)

FORMATS = ("red", "opentdb")
OPENTDB_LICENSE = "CC BY-SA 4.0"
OPENTDB_ATTRIBUTION = "Questions from the Open Trivia Database (opentdb.com), licensed CC BY-SA 4.0"
_MAX_ANSWERS = 20
# OpenTDB's response codes other than 0 (success), from its API documentation.
_OPENTDB_CODES = {
    1: "no results: the API could not return enough questions for the query",
    2: "invalid parameter in the API request",
    3: "session token not found",
    4: "session token exhausted: every question for the query was already returned",
    5: "rate limit exceeded",
}


@dataclass(frozen=True)
class ImportedQuestion:
    prompt: str
    answers: tuple[str, ...]
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """The pack as YAML (already validated), with what a moderator should know about the import."""

    pack_id: str
    yaml_text: str
    questions: int
    merged_duplicates: int = 0
    notes: tuple[str, ...] = ()

    def summary(self, source: str, out: str) -> str:
        merged = f", {self.merged_duplicates} duplicate(s) merged" if self.merged_duplicates else ""
        notes = "".join(f"; {note}" for note in self.notes)
        return f"imported {self.questions} questions from {source} into {out} (pack id {self.pack_id}){merged}{notes}"


@dataclass
class _Collector:
    """Questions in file order; the same prompt twice becomes one question, never a lost one."""

    file: str
    issues: list[PackIssue] = field(default_factory=list)
    questions: dict[str, ImportedQuestion] = field(default_factory=dict)
    merged: int = 0

    def problem(self, line: int, where: str, message: str) -> None:
        self.issues.append(PackIssue(self.file, line, where, message))

    def add(self, line: int, where: str, question: ImportedQuestion) -> None:
        if len(question.prompt) > MAX_PROMPT:
            self.problem(line, where, f"the question is {len(question.prompt)} characters; the limit is {MAX_PROMPT}")
            return
        for answer in {*question.answers, *question.choices}:
            if len(answer) > MAX_ANSWER:
                self.problem(line, where, f"an answer is {len(answer)} characters; the limit is {MAX_ANSWER}")
                return
        key = " ".join(question.prompt.split()).casefold()
        earlier = self.questions.get(key)
        if earlier is None:
            self.questions[key] = question
            return
        if earlier.choices != question.choices:
            # Same words, different options: two questions a player can tell apart by their options.
            self.questions[f"{key}\0{len(self.questions)}"] = question  # a key no other question has
            return
        answers = tuple(dict.fromkeys((*earlier.answers, *question.answers)))
        if len(answers) > _MAX_ANSWERS:
            message = f"with its earlier copy the question has {len(answers)} answers; the limit is {_MAX_ANSWERS}"
            self.problem(line, where, message)
            return
        self.questions[key] = ImportedQuestion(earlier.prompt, answers, earlier.choices)
        self.merged += 1


# ---------------------------------------------------------------- ids and YAML out


def slugify(name: str, fallback: str = "imported") -> str:
    """A pack or question id from free text: ``Music Trivia (2).yaml`` -> ``music-trivia-2``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:64].strip("-")
    return slug if slug and ID_PATTERN.match(slug) else fallback


def pack_id_from_file(file_name: str) -> str:
    return slugify(PurePath(file_name).stem)


def _question_id(prompt: str, taken: set[str]) -> str:
    # Stable across re-imports of the same list (scores and statistics hang on question ids), readable,
    # and unique even for two questions whose words differ only in punctuation.
    digest = hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:6]
    stem = slugify(prompt, fallback="q")[:40].strip("-") or "q"
    candidate = f"{stem}-{digest}"
    number = 2
    while candidate in taken:
        candidate = f"{stem}-{digest}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


_Dumper: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _pack_yaml(
    collector: _Collector,
    *,
    pack_id: str,
    title: str,
    description: str | None,
    source: dict[str, str],
) -> str:
    taken: set[str] = set()
    questions = []
    for question in collector.questions.values():
        entry: dict[str, Any] = {
            "id": _question_id(question.prompt, taken),
            "prompt": question.prompt,
            "answers": list(question.answers),
        }
        if question.choices:
            entry["choices"] = list(question.choices)
        questions.append(entry)
    document: dict[str, Any] = {"id": pack_id, "title": _clip(title, MAX_TITLE)}
    if description:
        document["description"] = _clip(description, MAX_DESCRIPTION)
    document.update({"source": source, "entities": [], "facts": [], "questions": questions})
    # Quoting is the dumper's job: an answer "yes" or "0.5" is written so it reads back as that text.
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _finish(
    collector: _Collector,
    out_name: str,
    *,
    pack_id: str,
    title: str,
    description: str | None,
    source: dict[str, str],
    notes: list[str],
) -> ImportResult:
    if collector.issues:
        raise PackError(collector.issues)
    if not collector.questions:
        raise PackError([PackIssue(collector.file, 1, "(file)", "no questions found")])
    if description and len(" ".join(description.split())) > MAX_DESCRIPTION:
        notes = [*notes, f"description shortened to {MAX_DESCRIPTION} characters"]
    text = _pack_yaml(collector, pack_id=pack_id, title=title, description=description, source=source)
    # The promise is a pack that passes `packs check` as written; the validator is the judge.
    pack = parse_pack(text, out_name)
    return ImportResult(pack.id, text, len(pack.questions), collector.merged, tuple(notes))


# ---------------------------------------------------------------- Red-DiscordBot trivia lists


def import_red(text: str, file: str, *, pack_id: str, out_name: str | None = None) -> ImportResult:
    """A Red trivia list (question: [answers], optional AUTHOR, DESCRIPTION, CONFIG) as a pack."""
    root = compose_bounded_yaml(text, file)
    collector = _Collector(file)
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1 if root is not None else 1
        raise PackError([PackIssue(file, line, "(file)", "a Red trivia list is a mapping of questions to answers")])
    author = description = None
    notes: list[str] = []
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or not key_node.value.strip():
            collector.problem(line, "(file)", "a question must be text")
            continue
        key = key_node.value.strip()
        if key in ("AUTHOR", "DESCRIPTION"):
            value = _red_scalar(value_node)
            if value is None:
                collector.problem(value_node.start_mark.line + 1, key, "must be text")
            elif key == "AUTHOR":
                author = value
            else:
                description = value
            continue
        if key == "CONFIG":
            if isinstance(value_node, yaml.MappingNode) and value_node.value:
                names = ", ".join(item.value for item, _ in value_node.value if isinstance(item, yaml.ScalarNode))
                notes.append(f"CONFIG not carried over ({names}): choose those when starting a game")
            continue
        if key == "$schema":
            continue
        answers = _red_answers(value_node, collector, key)
        if answers:
            collector.add(line, key, ImportedQuestion(" ".join(key.split()), answers))
    name = PurePath(file).stem
    source = {"title": f"Red-DiscordBot trivia list {name}"}
    if author:
        source["publisher"] = _clip(author, 80)
        source["attribution"] = _clip(f"Trivia list by {author}", 500)
    return _finish(
        collector,
        out_name or f"{pack_id}.yaml",
        pack_id=pack_id,
        title=f"{name} (Red trivia list)",
        description=description,
        source=source,
        notes=notes,
    )


def _red_scalar(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null" and node.value.strip():
        return node.value.strip()
    return None


def _red_answers(node: yaml.Node, collector: _Collector, question: str) -> tuple[str, ...]:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode) and _red_scalar(node) is None:
        collector.problem(line, question, "the question has no answers")
        return ()
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]  # a lone answer needs no list
    answers: list[str] = []
    for index, item in enumerate(items):
        # The raw text of the scalar: `yes` stays yes, `0.5` stays 0.5, `1e3` stays 1e3.
        answer = _red_scalar(item)
        if answer is None:
            what = "a list or mapping" if not isinstance(item, yaml.ScalarNode) else "empty"
            collector.problem(item.start_mark.line + 1, f"{question}[{index}]", f"an answer must be text, got {what}")
            return ()
        answers.append(" ".join(answer.split()))
    if not answers:
        collector.problem(line, question, "the question has no answers")
        return ()
    answers = list(dict.fromkeys(answers))
    if len(answers) > _MAX_ANSWERS:
        collector.problem(line, question, f"has {len(answers)} answers; the limit is {_MAX_ANSWERS}")
        return ()
    return tuple(answers)


# ---------------------------------------------------------------- Open Trivia Database JSON


def import_opentdb(text: str, file: str, *, pack_id: str, out_name: str | None = None) -> ImportResult:
    """An Open Trivia Database API response, as saved from the API, as a pack; attribution kept."""
    document = _load_json(text, file)
    collector = _Collector(file)
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise PackError([PackIssue(file, 1, "results", "an Open Trivia DB response has a list of results")])
    code = document.get("response_code", 0)
    if code != 0:
        reason = _OPENTDB_CODES.get(code, "not a successful response") if isinstance(code, int) else "not a number"
        raise PackError([PackIssue(file, 1, "response_code", f"{code!r}: {reason}")])
    lines = _result_lines(text)
    categories: dict[str, int] = {}
    difficulties: dict[str, int] = {}
    for index, result in enumerate(document["results"]):
        where = f"results[{index}]"
        line = lines[index] if index < len(lines) else 1
        question = _opentdb_question(result, where, line, collector)
        if question is None:
            continue
        collector.add(line, where, question)
        for counts, key in ((categories, "category"), (difficulties, "difficulty")):
            value = _decoded(result, key)
            if value:
                counts[value] = counts.get(value, 0) + 1
    title = f"Open Trivia DB: {next(iter(categories))}" if len(categories) == 1 else "Open Trivia DB: mixed categories"
    description = "; ".join(
        part
        for part in (
            ", ".join(f"{name} ({count})" for name, count in categories.items()),
            ", ".join(f"{name} {count}" for name, count in difficulties.items()),
        )
        if part
    )
    source = {
        "title": "Open Trivia Database",
        "url": "https://opentdb.com",
        "license": OPENTDB_LICENSE,
        "attribution": OPENTDB_ATTRIBUTION,
    }
    return _finish(
        collector,
        out_name or f"{pack_id}.yaml",
        pack_id=pack_id,
        title=title,
        description=description or None,
        source=source,
        notes=[],
    )


def _load_json(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PackError([PackIssue(file, error.lineno, "(file)", f"invalid JSON: {error.msg}")]) from None
    except RecursionError:
        raise PackError([PackIssue(file, 1, "(file)", "invalid JSON: nested too deeply")]) from None
    except ValueError as error:  # e.g. an integer too long to convert
        raise PackError([PackIssue(file, 1, "(file)", f"invalid JSON: {error}")]) from None


def _opentdb_question(result: Any, where: str, line: int, collector: _Collector) -> ImportedQuestion | None:
    if not isinstance(result, dict):
        collector.problem(line, where, "expected an object with type, question, correct_answer, incorrect_answers")
        return None
    decode = _field_decoder(result)
    kind = decode(result.get("type"))
    prompt = decode(result.get("question"))
    right = decode(result.get("correct_answer"))
    wrong_raw = result.get("incorrect_answers")
    for key, value in (("type", kind), ("question", prompt), ("correct_answer", right)):
        if not value:
            collector.problem(line, f"{where}.{key}", "missing or not text")
            return None
    if not isinstance(wrong_raw, list) or not all(isinstance(item, (str, int, float)) for item in wrong_raw):
        collector.problem(line, f"{where}.incorrect_answers", "expected a list of answers")
        return None
    wrong = [decode(item) for item in wrong_raw]
    if kind == "boolean":
        if right.casefold() not in ("true", "false"):
            message = f"a true/false question's answer is True or False, got {right!r}"
            collector.problem(line, f"{where}.correct_answer", message)
            return None
        return ImportedQuestion(" ".join(prompt.split()), (right.capitalize(),), ("True", "False"))
    if kind != "multiple":
        collector.problem(line, f"{where}.type", f"expected multiple or boolean, got {kind!r}")
        return None
    choices = list(dict.fromkeys([right, *(item for item in wrong if item)]))
    if len(choices) < 2 or len(choices) > MAX_CHOICES:
        message = f"expected 1 to {MAX_CHOICES - 1} different wrong answers"
        collector.problem(line, f"{where}.incorrect_answers", message)
        return None
    # The API lists the right answer first; hand-written choices are shown in their written order, so
    # they are shuffled here, the same way on every import of the same question.
    random.Random(prompt).shuffle(choices)
    return ImportedQuestion(" ".join(prompt.split()), (right,), tuple(choices))


def _field_decoder(result: dict[str, Any]) -> Callable[[Any], str]:
    """HTML entities by default; the API's base64 encoding is recognised by its encoded ``type``."""
    encoded_type = result.get("type")
    if isinstance(encoded_type, str) and encoded_type not in ("multiple", "boolean"):
        try:
            if base64.b64decode(encoded_type, validate=True).decode("utf-8") in ("multiple", "boolean"):
                return _from_base64
        except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 inside
            pass
    return _from_html


def _from_html(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return " ".join(html.unescape(value).split()) if isinstance(value, str) else ""


def _from_base64(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return " ".join(base64.b64decode(value, validate=True).decode("utf-8").split())
    except ValueError:
        return ""


def _decoded(result: Any, key: str) -> str:
    return _field_decoder(result)(result.get(key)) if isinstance(result, dict) else ""


def _result_lines(text: str) -> list[int]:
    """The line each result starts on, for error messages; empty when the layout cannot be followed."""
    start = re.search(r'"results"\s*:\s*\[', text)
    if start is None:
        return []
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position = start.end()
    whitespace = re.compile(r"[\s,]*")
    while True:
        position = whitespace.match(text, position).end()  # type: ignore[union-attr]
        if position >= len(text) or text[position] == "]":
            return lines
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return lines
        lines.append(text.count("\n", 0, position) + 1)
        position = end


# ---------------------------------------------------------------- format detection


def detect_format(text: str) -> str:
    """``pack``, ``red`` or ``opentdb``, from the content alone (an upload's name says little)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        try:
            document = _load_json(text, "(detect)")
        except PackError:
            # Broken JSON that names OpenTDB's results gets the JSON error; anything else the pack's.
            return "opentdb" if '"results"' in text else "pack"
        return "opentdb" if isinstance(document, dict) and "results" in document else "pack"
    try:
        root = compose_bounded_yaml(text, "(detect)")
    except PackError:
        return "pack"  # the pack validator reports what is wrong, with the upload's own name
    if not isinstance(root, yaml.MappingNode):
        return "pack"
    keys = {key.value for key, _ in root.value if isinstance(key, yaml.ScalarNode)}
    # Any key of our own format makes it a pack (with its own errors); any other mapping reads as a Red
    # list, so a list with one malformed answer gets Red's error for that answer, not "unknown key".
    return "pack" if keys & PACK_TOP_LEVEL_KEYS else "red"


def import_trivia(
    text: str, file: str, *, source_format: str, pack_id: str, out_name: str | None = None
) -> ImportResult:
    if source_format == "red":
        return import_red(text, file, pack_id=pack_id, out_name=out_name)
    if source_format == "opentdb":
        return import_opentdb(text, file, pack_id=pack_id, out_name=out_name)
    raise ValueError(f"unknown trivia format {source_format!r}; expected one of {', '.join(FORMATS)}")
