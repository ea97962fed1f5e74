"""The relation vocabulary: what a fact may say, how it reads both ways, and how it becomes a question.

Keeping the wording of every relation in one table means the pack validator, the question generator
and the fact look-ups can never disagree about what a relation is called or which way it points.

Templates use ``{subject}`` and ``{object}`` (display names, quoted for titled works) and
``{subject_kind}`` / ``{object_kind}`` (the kind's noun). A template is ``None`` where that direction
would be ambiguous in the real world (many songs are "by Daft Punk"), so it would make a bad question.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.trivia.model import Entity


@dataclass(frozen=True)
class Kind:
    name: str
    noun: str
    titled: bool  # a work whose name reads in quotes: the song "Stronger"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("song", "song", titled=True),
        Kind("album", "album", titled=True),
        Kind("film", "film", titled=True),
        Kind("video", "music video", titled=False),
        Kind("musician", "musician", titled=False),
        Kind("person", "person", titled=False),
        Kind("character", "character", titled=False),
        Kind("city", "city", titled=False),
    )
}


@dataclass(frozen=True)
class Relation:
    name: str
    label: str  # reads subject -> object: "Stronger samples ..."
    inverse_label: str  # reads object -> subject: "Harder, Better, Faster, Stronger is sampled by ..."
    ask_object: str | None  # question whose answer is the object
    ask_subject: str | None  # question whose answer is the subject
    object_is_year: bool = False


RELATIONS: dict[str, Relation] = {
    relation.name: relation
    for relation in (
        Relation(
            "samples",
            "samples",
            "sampled by",
            ask_object="Which {object_kind} does {subject} sample?",
            ask_subject="Which {subject_kind} samples {object}?",
        ),
        Relation(
            "by",
            "by",
            "made",
            ask_object="Who is the {subject_kind} {subject} by?",
            ask_subject=None,
        ),
        Relation(
            "appears_on",
            "appears on",
            "includes",
            ask_object="Which {object_kind} is {subject} on?",
            ask_subject=None,
        ),
        Relation(
            "released_in",
            "released in",
            "year of",
            ask_object="In which year did the {subject_kind} {subject} come out?",
            ask_subject=None,
            object_is_year=True,
        ),
        Relation(
            "cover_art_by",
            "cover art by",
            "made the cover art for",
            ask_object="Who made the cover art for the {subject_kind} {subject}?",
            ask_subject="Which {subject_kind} has cover art by {object}?",
        ),
        Relation(
            "video_for",
            "video for",
            "music video",
            ask_object="{subject} is the video for which {object_kind}?",
            ask_subject=None,
        ),
        Relation(
            "based_on",
            "based on",
            "inspired",
            ask_object="Which {object_kind} is {subject} largely based on?",
            ask_subject="Which {subject_kind} is largely based on {object}?",
        ),
        Relation(
            "directed_by",
            "directed by",
            "directed",
            ask_object="Who directed {subject}?",
            ask_subject="Which {subject_kind} did {object} direct?",
        ),
        Relation(
            "filmed_in",
            "filmed in",
            "filming location of",
            ask_object="In which {object_kind} was {subject} filmed?",
            ask_subject=None,
        ),
        Relation(
            "mirrors",
            "mirrors",
            "mirrored in",
            ask_object="{subject} tells a story much like that of which {object_kind}?",
            ask_subject="Which {subject_kind} tells a story much like that of {object}?",
        ),
        Relation(
            "character_in",
            "character in",
            "has the character",
            ask_object="Which {object_kind} is the character {subject} from?",
            ask_subject=None,
        ),
        Relation(
            "favourite_of",
            "a favourite of",
            "favourite",
            ask_object="Who counts the {subject_kind} {subject} among their all-time favourites?",
            ask_subject="Which {subject_kind} is one of {object}'s all-time favourites?",
        ),
        Relation(
            "influenced_by",
            "influenced by",
            "influenced",
            ask_object="Which {object_kind} has {subject} always been inspired by?",
            ask_subject=None,
        ),
        Relation(
            "likened_work_to",
            "likened their work to",
            "likened to it by",
            ask_object="{subject} likened every stage show and video to which {object_kind}?",
            ask_subject=None,
        ),
        Relation(
            "collaborated_with",
            "collaborated with",
            "collaborated with",
            ask_object="Which {object_kind} did {subject} collaborate with?",
            ask_subject="Which {subject_kind} collaborated with {object}?",
        ),
    )
}


def display_name(entity: Entity) -> str:
    """The name as it reads inside a sentence: titled works in quotes."""
    kind = KINDS.get(entity.kind)
    if kind is not None and kind.titled:
        return f'"{entity.name}"'
    return entity.name


def kind_noun(kind_name: str) -> str:
    kind = KINDS.get(kind_name)
    return kind.noun if kind else kind_name
