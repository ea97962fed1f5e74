"""The pack format as a JSON Schema (draft 2020-12), for editors that check and complete pack YAML.

It is built from the validator's own limits and the relation and kind tables, and written to
``questions/pack.schema.json`` by running this module; a test keeps the file current and checks the
schema agrees with the validator. The schema checks shape only: what needs the whole pack (a fact's
entities exist and are of the kinds its relation takes, a quote is in the article) only ``packs
check`` can tell.

    python -m bot.trivia.pack_schema > questions/pack.schema.json
"""

from __future__ import annotations

import json
from typing import Any

from bot.trivia import packs
from bot.trivia.limits import DEFAULT_PACK_LIMITS
from bot.trivia.relations import KINDS, RELATIONS

SCHEMA_FILE_NAME = "pack.schema.json"


def _text(description: str, limit: int, required: bool = True) -> dict[str, Any]:
    # A YAML scalar the author wrote as 1988 or yes reaches an editor as a number or a boolean; the
    # validator reads it as the text written, so the schema accepts it too.
    text: dict[str, Any] = {"type": "string", "maxLength": limit}
    if required:
        text["pattern"] = r"\S"
    return {"description": description, "anyOf": [text, {"type": ["number", "boolean"]}]}


def _text_list(description: str, limit: int, most: int, at_least: int = 0) -> dict[str, Any]:
    item = _text("One entry.", limit)
    return {
        "description": description + " A single entry may be written without the list.",
        "anyOf": [{"type": "array", "items": item, "minItems": at_least, "maxItems": most}, item],
    }


def _identifier(description: str) -> dict[str, Any]:
    return {"description": description, "type": "string", "pattern": packs.ID_PATTERN.pattern}


def _year(description: str) -> dict[str, Any]:
    low, high = packs.YEAR_RANGE
    return {
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": r"^\s*[0-9]{4}\s*$"},
        ],
    }


def _relations_help() -> str:
    lines = []
    for relation in RELATIONS.values():
        lines.append(f"- {relation.name}: {relation.takes}")
    return "What the fact says, from subject to object:\n" + "\n".join(lines)


def pack_schema() -> dict[str, Any]:
    source = {
        "description": "Where the pack's content comes from. Quotes are checked against the article's text.",
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            "title": _text("The article's title.", packs.MAX_TITLE * 3),
            "file": _text("A text file beside the pack holding the article (not for uploaded packs).", 200),
            "text": _text(
                "The article's text itself. Needed, as text or file, once any quote is given.", packs.MAX_SOURCE_CHARS
            ),
            "url": _text("Where the article was published.", 500, required=False),
            "publisher": _text("Who published it.", packs.MAX_NAME, required=False),
            "license": _text("The content's license, e.g. CC BY-SA 4.0.", packs.MAX_LICENSE, required=False),
            "attribution": _text(
                "The credit shown with the pack's questions, e.g. for Open Trivia Database questions.",
                packs.MAX_ATTRIBUTION,
                required=False,
            ),
        },
        "not": {"required": ["file", "text"]},
    }
    entity = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "kind"],
        "properties": {
            "id": _identifier("How facts refer to it: lowercase letters, digits and hyphens."),
            "name": _text("The name players see and type.", packs.MAX_NAME),
            "kind": {
                "description": "What it is: the generator only offers wrong options of the same kind.",
                "enum": list(KINDS),
            },
            "aliases": _text_list(
                "Other names a player may answer with (a surname, an abbreviation).", packs.MAX_NAME, 20
            ),
            "year": _year("The year it came out, shown in look-ups."),
            "description": _text("A few words shown in look-ups.", packs.MAX_DESCRIPTION, required=False),
        },
    }
    fact = {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject", "relation", "object", "quote"],
        "properties": {
            "subject": _identifier("The entity the fact is about."),
            "relation": {"description": _relations_help(), "enum": list(RELATIONS)},
            "object": {
                "description": "The other entity's id, or a year for released_in.",
                "anyOf": [_identifier("An entity id."), _year("A year.")],
            },
            "quote": _text(
                f"The article's own words that back the fact: at least {packs.MIN_QUOTE_WORDS} words, naming "
                "the subject or the object (unless context is true). Shown to players with the answer.",
                packs.MAX_QUOTE,
            ),
            "via": _text("Who the article credits for it, e.g. IndieWire.", packs.MAX_NAME, required=False),
            "note": _text(
                "A correction or qualification shown with the quote, e.g. where the article gets a date wrong.",
                packs.MAX_NOTE,
                required=False,
            ),
            "context": {
                "description": "True when the quote backs the fact without naming either entity.",
                "type": "boolean",
            },
        },
        "if": {"properties": {"relation": {"const": "released_in"}}},
        "then": {"properties": {"object": _year("The year it came out.")}},
        "else": {"properties": {"object": _identifier("An entity id.")}},
    }
    question = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "prompt", "answers"],
        "properties": {
            "id": _identifier("Stable within the pack: scores refer to it."),
            "prompt": _text("The question as players see it.", packs.MAX_PROMPT),
            "answers": _text_list(
                "Every accepted answer; the first is the one shown.", packs.MAX_ANSWER, 20, at_least=1
            ),
            "choices": {
                "description": "Options for multiple choice, including one of the answers; none for free text only.",
                "type": "array",
                "items": _text("One option.", packs.MAX_ANSWER),
                "maxItems": packs.MAX_CHOICES,
                "anyOf": [{"maxItems": 0}, {"minItems": 2}],
            },
            "quote": _text("The article's words behind the question.", packs.MAX_QUOTE),
            "note": _text("A note shown with the answer.", packs.MAX_NOTE, required=False),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Crate Digger pack",
        "description": "Trivia facts from one article, each backed by a quote. See docs/packs.md.",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "title", "source", "entities", "facts"],
        "properties": {
            "id": _identifier("The pack's id: lowercase letters, digits and hyphens."),
            "title": _text("The pack's title.", packs.MAX_TITLE),
            "description": _text("What the pack is about, in a sentence.", packs.MAX_DESCRIPTION, required=False),
            "source": source,
            "entities": {
                "description": "The songs, albums, films, people... the facts are about.",
                "type": ["array", "null"],
                "items": entity,
                "maxItems": packs.MAX_ENTITIES,
            },
            "facts": {
                "description": "Claims from the article: subject, relation, object and the quote that backs it.",
                "type": ["array", "null"],
                "items": fact,
                "maxItems": packs.MAX_FACTS,
            },
            "questions": {
                "description": "Hand-written questions, asked as they are.",
                "type": ["array", "null"],
                "items": question,
                "maxItems": packs.MAX_QUESTIONS,
            },
            "distractors": {
                "description": "Wrong-but-plausible options by kind, used when the packs have too few entities.",
                "type": ["object", "null"],
                "propertyNames": {"enum": list(KINDS)},
                "additionalProperties": {
                    "type": "array",
                    "items": _text("A wrong option.", packs.MAX_NAME),
                    "maxItems": packs.MAX_DISTRACTORS_PER_KIND,
                },
            },
        },
    }


def relations_table() -> str:
    """The relation reference in docs/packs.md, generated so the guide cannot drift from the table."""
    rows = [
        "| relation | subject kinds | object kinds | in `/fact`: forward / back "
        "| asks for the object | asks for the subject |",
        "|---|---|---|---|---|---|",
    ]
    for relation in RELATIONS.values():
        rows.append(
            f"| `{relation.name}` | {_kinds(relation.subject_kinds)} | {_kinds(relation.object_kinds)} "
            f"| {relation.label} / {relation.inverse_label} "
            f"| {_template(relation.ask_object)} | {_template(relation.ask_subject)} |"
        )
    return "\n".join(rows)


def kinds_table() -> str:
    rows = ["| kind | called in questions | name shown in quotes |", "|---|---|---|"]
    for kind in KINDS.values():
        rows.append(f"| `{kind.name}` | {kind.noun} | {'yes' if kind.titled else 'no'} |")
    return "\n".join(rows)


# Each size cap: its setting and what it bounds, in PackLimits' field order (a test checks they match).
LIMIT_SETTINGS = {
    "file_bytes": ("MAX_PACK_BYTES", "bytes in the pack file"),
    "source_chars": ("MAX_ARTICLE_CHARS", "characters in the article (`source.text` or `source.file`)"),
    "nodes": ("MAX_YAML_NODES", "YAML values (scalars, lists and mappings) in the file"),
    "entities": ("MAX_ENTITIES_PER_PACK", "entities"),
    "facts": ("MAX_FACTS_PER_PACK", "facts"),
    "questions": ("MAX_QUESTIONS_PER_PACK", "hand-written questions"),
}


def limits_table() -> str:
    """The size caps with their defaults (``PackLimits``) and the settings that change them."""
    rows = ["| cap | default | setting |", "|---|---|---|"]
    for name, default in DEFAULT_PACK_LIMITS._asdict().items():
        setting, what = LIMIT_SETTINGS[name]
        rows.append(f"| {what} | {default:,} | `{setting}` |")
    return "\n".join(rows)


def _kinds(kinds: frozenset[str]) -> str:
    return ", ".join(f"`{name}`" for name in sorted(kinds))


def _template(template: str | None) -> str:
    return template if template else "(not asked)"


def schema_text() -> str:
    return json.dumps(pack_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
