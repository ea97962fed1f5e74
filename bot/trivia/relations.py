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
        Kind("show", "TV show", titled=True),
        Kind("book", "book", titled=True),
        Kind("video", "music video", titled=False),
        Kind("musician", "musician", titled=False),
        Kind("person", "person", titled=False),
        Kind("character", "character", titled=False),
        Kind("city", "city", titled=False),
    )
}

# Not an entity kind: the object of a relation such as ``released_in`` is a year written in the fact.
YEAR = "year"

# Groups the table below reads in; a relation's kinds say what a reviewer would accept as true.
_WORKS = frozenset({"song", "album", "film", "show", "book", "video"})
_SCREEN = frozenset({"film", "show", "video"})
_RECORDINGS = frozenset({"song", "album"})
_MAKERS = frozenset({"musician", "person"})


@dataclass(frozen=True)
class Relation:
    """One thing a fact may say, with the kinds of entity each end may be.

    ``subject_kinds`` / ``object_kinds`` are entity kinds from ``KINDS``; an ``object_kinds`` of
    ``{YEAR}`` means the object is a year, not an entity.
    """

    name: str
    label: str  # reads subject -> object: "Stronger samples ..."
    inverse_label: str  # reads object -> subject: "Harder, Better, Faster, Stronger is sampled by ..."
    ask_object: str | None  # question whose answer is the object
    ask_subject: str | None  # question whose answer is the subject
    subject_kinds: frozenset[str]
    object_kinds: frozenset[str]
    # How an error reads when a kind does not fit: "`by` takes a work by a musician or person".
    takes: str

    @property
    def object_is_year(self) -> bool:
        return self.object_kinds == {YEAR}


RELATIONS: dict[str, Relation] = {
    relation.name: relation
    for relation in (
        Relation(
            "samples",
            "samples",
            "sampled by",
            ask_object="Which {object_kind} does {subject} sample?",
            ask_subject="Which {subject_kind} samples {object}?",
            subject_kinds=_RECORDINGS | _SCREEN,
            object_kinds=_RECORDINGS | _SCREEN | {"musician"},
            takes="a song, album, film, show or video sampling a recording, a musician or a film, show or video",
        ),
        Relation(
            "interpolates",
            "interpolates",
            "interpolated by",
            ask_object="Which {object_kind} does {subject} interpolate?",
            ask_subject="Which {subject_kind} interpolates {object}?",
            subject_kinds=_RECORDINGS,
            object_kinds=frozenset({"song"}),
            takes="a song or album re-playing part of a song",
        ),
        Relation(
            "covers",
            "is a cover of",
            "covered by",
            ask_object="Which {object_kind} is {subject} a cover of?",
            # Famous songs are covered many times over: "which song covers X?" has no one answer.
            ask_subject=None,
            subject_kinds=_RECORDINGS,
            object_kinds=frozenset({"song"}),
            takes="a song or album covering a song",
        ),
        Relation(
            "remix_of",
            "is a remix of",
            "remixed as",
            ask_object="Which {object_kind} is {subject} a remix of?",
            ask_subject=None,
            subject_kinds=frozenset({"song"}),
            object_kinds=frozenset({"song"}),
            takes="a song remixing a song",
        ),
        Relation(
            "by",
            "by",
            "made",
            ask_object="Who is the {subject_kind} {subject} by?",
            ask_subject=None,
            subject_kinds=_WORKS,
            object_kinds=_MAKERS,
            takes="a work by a musician or person",
        ),
        Relation(
            "produced_by",
            "produced by",
            "produced",
            ask_object="Who produced the {subject_kind} {subject}?",
            ask_subject=None,
            subject_kinds=_WORKS - {"book"},
            object_kinds=_MAKERS,
            takes="a song, album, film, show or video produced by a musician or person",
        ),
        Relation(
            "score_by",
            "score by",
            "wrote the score for",
            ask_object="Who wrote the score for the {subject_kind} {subject}?",
            ask_subject=None,
            subject_kinds=_SCREEN,
            object_kinds=_MAKERS,
            takes="a film, show or video whose score is by a musician or person",
        ),
        Relation(
            "appears_on",
            "appears on",
            "includes",
            ask_object="Which {object_kind} is {subject} on?",
            ask_subject=None,
            subject_kinds=frozenset({"song"}),
            object_kinds=frozenset({"album", "film", "show"}),
            takes="a song on an album, film or show",
        ),
        Relation(
            "released_in",
            "released in",
            "year of",
            ask_object="In which year did the {subject_kind} {subject} come out?",
            ask_subject=None,
            subject_kinds=_WORKS,
            object_kinds=frozenset({YEAR}),
            takes="a work and the year it came out",
        ),
        Relation(
            "cover_art_by",
            "cover art by",
            "made the cover art for",
            ask_object="Who made the cover art for the {subject_kind} {subject}?",
            ask_subject="Which {subject_kind} has cover art by {object}?",
            subject_kinds=frozenset({"album", "song", "book"}),
            object_kinds=_MAKERS,
            takes="an album, song or book with cover art by a musician or person",
        ),
        Relation(
            "video_for",
            "video for",
            "music video",
            ask_object="{subject} is the video for which {object_kind}?",
            ask_subject=None,
            subject_kinds=frozenset({"video"}),
            object_kinds=frozenset({"song"}),
            takes="a music video for a song",
        ),
        Relation(
            "based_on",
            "based on",
            "inspired",
            ask_object="Which {object_kind} is {subject} largely based on?",
            ask_subject="Which {subject_kind} is largely based on {object}?",
            subject_kinds=_WORKS,
            object_kinds=_WORKS - {"video"} | {"character", "person"},
            takes="a work based on a work, character or person",
        ),
        Relation(
            "directed_by",
            "directed by",
            "directed",
            ask_object="Who directed {subject}?",
            ask_subject="Which {subject_kind} did {object} direct?",
            subject_kinds=_SCREEN,
            object_kinds=_MAKERS,
            takes="a film, show or video directed by a person or musician",
        ),
        Relation(
            "filmed_in",
            "filmed in",
            "filming location of",
            ask_object="In which {object_kind} was {subject} filmed?",
            ask_subject=None,
            subject_kinds=_SCREEN,
            object_kinds=frozenset({"city"}),
            takes="a film, show or video filmed in a city",
        ),
        Relation(
            "mirrors",
            "mirrors",
            "mirrored in",
            ask_object="{subject} tells a story much like that of which {object_kind}?",
            ask_subject="Which {subject_kind} tells a story much like that of {object}?",
            subject_kinds=_WORKS,
            object_kinds=_WORKS - {"video"} | {"character"},
            takes="a work whose story mirrors a character's or another work's",
        ),
        Relation(
            "character_in",
            "character in",
            "has the character",
            ask_object="Which {object_kind} is the character {subject} from?",
            ask_subject=None,
            subject_kinds=frozenset({"character"}),
            object_kinds=_WORKS,
            takes="a character in a work",
        ),
        Relation(
            "favourite_of",
            "a favourite of",
            "favourite",
            ask_object="Who counts the {subject_kind} {subject} among their all-time favourites?",
            ask_subject="Which {subject_kind} is one of {object}'s all-time favourites?",
            subject_kinds=_WORKS,
            object_kinds=_MAKERS,
            takes="a work that is a favourite of a musician or person",
        ),
        Relation(
            "influenced_by",
            "influenced by",
            "influenced",
            ask_object="Which {object_kind} has {subject} long been inspired by?",
            ask_subject=None,
            subject_kinds=_MAKERS | _WORKS,
            object_kinds=_MAKERS | _WORKS | {"character"},
            takes="a musician, person or work influenced by another, or by a character",
        ),
        Relation(
            "likened_work_to",
            "likened their work to",
            "likened to it by",
            ask_object="To which {object_kind} has {subject} likened their own work?",
            ask_subject=None,
            subject_kinds=_MAKERS,
            object_kinds=_WORKS,
            takes="a musician or person likening their work to a work",
        ),
        Relation(
            "collaborated_with",
            "collaborated with",
            "collaborated with",
            ask_object="Which {object_kind} did {subject} collaborate with?",
            ask_subject="Which {subject_kind} collaborated with {object}?",
            subject_kinds=_MAKERS,
            object_kinds=_MAKERS,
            takes="a musician or person working with another",
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
