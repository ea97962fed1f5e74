"""Article text in, a draft pack out: entity candidates and candidate facts, each with its exact quote.

Pure: no files, no network. The drafter reads sentence by sentence and looks for two things:

* **mentions**: quoted titles ("Graduation"), capitalised names (Hype Williams), years, a video named by
  its song ("the video for Stronger"), and words that point back (he, his, the video, the movie);
* **cues**: words that state a relation ("directed by", "sampled", "favorite films", a possessive before
  a title, "1988 film "Akira""). Each cue takes its subject and object from the mentions around it.

Kinds are guessed from the nouns beside a mention ("2007 album", "artist Takashi Murakami") and, failing
that, from the relations the entity takes part in. Every candidate fact then goes through the pack
validator, the same one `packs check` uses: a fact it refuses is dropped and its sentence listed, so the
draft always passes the check as written. A moderator's review is deleting and correcting, never
retyping a quote.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import yaml

from bot.authoring.text import Article, Sentence, split_sentences
from bot.trivia.packs import MAX_NAME, MAX_QUOTE, MAX_TITLE, PackError, normalise_quote_text, parse_pack
from bot.trivia.relations import KINDS, RELATIONS, YEAR

# ---------------------------------------------------------------- the draft


@dataclass(frozen=True)
class DraftEntity:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftFact:
    subject: str  # entity id
    relation: str
    object: str  # entity id, or the year as text
    quote: str  # exactly as in the source text
    cue: str  # the words that suggested it, shown to the reviewer
    via: str | None = None


@dataclass(frozen=True)
class UnmatchedSentence:
    """A sentence with relation words that gave no fact: worth a look by hand."""

    sentence: str
    cues: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class Draft:
    pack_id: str
    title: str
    source_title: str
    source_text: str
    source_url: str | None
    entities: tuple[DraftEntity, ...]
    facts: tuple[DraftFact, ...]
    unmatched: tuple[UnmatchedSentence, ...]

    def entity(self, entity_id: str) -> DraftEntity | None:
        return next((entity for entity in self.entities if entity.id == entity_id), None)

    def used_entities(self) -> tuple[DraftEntity, ...]:
        """Entities some fact names, in the draft's order: the ones the pack needs."""
        used = {fact.subject for fact in self.facts} | {fact.object for fact in self.facts}
        return tuple(entity for entity in self.entities if entity.id in used)

    def summary(self) -> str:
        lines = [f"{len(self.used_entities())} entities, {len(self.facts)} facts"]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} sentences with relation words gave no fact; look at them by hand:")
            for item in self.unmatched:
                reason = f" ({item.reason})" if item.reason else ""
                lines.append(f"  - [{', '.join(item.cues)}]{reason} {item.sentence}")
        return "\n".join(lines)


# ---------------------------------------------------------------- rendering


def render_draft(draft: Draft) -> str:
    """The draft as pack YAML; every scalar goes through the YAML dumper, so quotes come back exactly."""
    out = [
        f"id: {_scalar(draft.pack_id)}",
        f"title: {_scalar(draft.title)}",
        "# A draft: check every fact against its quote, delete the wrong ones, fix names and kinds.",
        "source:",
        f"  title: {_scalar(draft.source_title)}",
    ]
    if draft.source_url:
        out.append(f"  url: {_scalar(draft.source_url)}")
    out.append("  text: " + _block(draft.source_text, indent=4))
    out.append("")
    out.append("entities:")
    for entity in draft.used_entities():
        out.append(f"  - id: {_scalar(entity.id)}")
        out.append(f"    name: {_scalar(entity.name)}")
        out.append(f"    kind: {_scalar(entity.kind)}")
        out.append(f"    aliases: [{', '.join(_scalar(alias) for alias in entity.aliases)}]")
    out.append("")
    out.append("facts:")
    for fact in draft.facts:
        out.append(f"  - subject: {_scalar(fact.subject)}  # cue: {_comment(fact.cue)}")
        out.append(f"    relation: {_scalar(fact.relation)}")
        out.append(f"    object: {_scalar(fact.object)}")
        out.append(f"    quote: {_scalar(fact.quote)}")
        if fact.via:
            out.append(f"    via: {_scalar(fact.via)}")
    if draft.unmatched:
        out.append("")
        out.append("# Sentences with relation words that gave no fact (add facts for them by hand if they hold one):")
        for item in draft.unmatched:
            out.append(f"#   [{_comment(', '.join(item.cues))}] {_comment(item.sentence)}")
    return "\n".join(out) + "\n"


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=float("inf"))
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _block(text: str, indent: int) -> str:
    if any(ord(char) < 32 and char != "\n" for char in text):
        return _scalar(text)  # the dumper escapes what a literal block cannot hold
    pad = " " * indent
    return "|-\n" + "\n".join(pad + line if line else "" for line in text.split("\n"))


def _comment(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- vocabulary

_TITLE_KINDS = ("song", "album", "film", "show", "book")
_NAME_KINDS = ("musician", "person", "city", "character")

# Nouns that say what kind a title or a name is when they stand right before it.
_KIND_NOUNS = {
    **dict.fromkeys(("song", "songs", "single", "singles", "track", "tracks", "hit", "anthem", "tune"), "song"),
    **dict.fromkeys(("album", "albums", "lp", "ep", "mixtape", "record", "records"), "album"),
    **dict.fromkeys(("film", "films", "movie", "movies", "documentary", "anime", "feature"), "film"),
    **dict.fromkeys(("show", "shows", "series", "sitcom"), "show"),
    **dict.fromkeys(("book", "books", "novel", "novels", "manga", "comic", "memoir"), "book"),
    **dict.fromkeys(
        ("rapper", "singer", "band", "duo", "trio", "group", "dj", "musician", "songwriter", "composer", "producer"),
        "musician",
    ),
    **dict.fromkeys(
        (
            "director",
            "filmmaker",
            "artist",
            "painter",
            "designer",
            "photographer",
            "writer",
            "author",
            "actor",
            "actress",
            "animator",
            "illustrator",
            "novelist",
        ),
        "person",
    ),
    **dict.fromkeys(("city", "capital"), "city"),
}

# Capitalised words that start sentences and clauses but are not names.
_NOT_NAMES = frozenset(
    """a an and as at but by for from he her his how i if in into it its just let many my no not of on or our
    she so some still that the their then there these they this those though to we what when where whether which
    while who why with yet you your few every each all both also even only once after before since although
    because during despite like unlike here today yesterday now later earlier first last next one two three
    mr mrs ms dr st january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_DEMONYMS = frozenset(
    """american british english french german japanese chinese korean italian spanish canadian australian irish
    scottish welsh swedish norwegian danish dutch russian brazilian mexican indian african european asian latin
    jamaican nigerian belgian icelandic finnish polish greek turkish western eastern northern southern""".split()
)
_NAME_PARTICLES = frozenset({"de", "da", "del", "van", "von", "der", "la", "le", "du", "of"})
_SPEECH_VERBS = r"(?:said|says|tweeted|told|wrote|explained|added|recalled|admitted|posted|joked|declared)"
_ANAPHORS = {
    "video": "video",
    "music video": "video",
    "clip": "video",
    "song": "song",
    "track": "song",
    "single": "song",
    "album": "album",
    "record": "album",
    "lp": "album",
    "film": "film",
    "movie": "film",
    "show": "show",
    "series": "show",
    "book": "book",
    "novel": "book",
}
_PRONOUNS = frozenset({"he", "she", "they", "him", "her", "his", "their", "them"})
_MAKERS = ("musician", "person")


def _word(pattern: str) -> str:
    return rf"(?<![\w-])(?:{pattern})\b"


@dataclass(frozen=True)
class _Cue:
    name: str
    pattern: re.Pattern[str]
    relations: tuple[str, ...]  # the first whose kinds fit the mentions wins
    backward: bool = False  # the subject stands after the cue, the object before it
    object_inside: bool = False  # "cited the Pixies as an influence": the object is within the cue's words


def _cue(name: str, pattern: str, *relations: str, backward: bool = False, object_inside: bool = False) -> _Cue:
    return _Cue(name, re.compile(pattern, re.IGNORECASE), relations, backward, object_inside)


# Ordered: where two cues overlap ("sampled by" and "sampled") the earlier, longer one is used.
_CUES: tuple[_Cue, ...] = (
    _cue("sampled by", _word(r"sampled by|interpolated by"), "samples", "interpolates", backward=True),
    _cue("covered by", _word(r"covered by"), "covers", backward=True),
    _cue(
        "sample of", _word(r"(?:a |the )?samples? (?:of|from)|built (?:up )?(?:on|around)(?: a sample of)?"), "samples"
    ),
    _cue("samples", _word(r"samples|sampled|sampling|lifts|lifted"), "samples"),
    _cue("interpolates", _word(r"interpolates|interpolated|interpolation of|interpolating"), "interpolates"),
    _cue("remix of", _word(r"remix of|remixes|remixed version of"), "remix_of"),
    _cue("covers", _word(r"covers|covered|a cover of|cover version of|covering") + r"(?! art)", "covers"),
    _cue(
        "cover art by",
        r"\bcover (?:art|artwork|image|design)\b[^.;]{0,60}?\b(?:by|courtesy of|from)\b"
        r"|\b(?:designed|painted|drew|created) the (?:cover|artwork)\b",
        "cover_art_by",
    ),
    _cue("directed by", _word(r"directed by|direction by|helmed by"), "directed_by"),
    _cue("directed", _word(r"directed|helmed"), "directed_by", backward=True),
    _cue("produced by", _word(r"produced by|production by|co-produced by"), "produced_by"),
    _cue("produced", _word(r"produced|co-produced"), "produced_by", backward=True),
    _cue("based on", _word(r"(?:is|was|are|were|largely|loosely|partly|heavily) based on|based on"), "based_on"),
    _cue(
        "inspired by",
        _word(r"inspired by|influenced by|inspiration from|a nod to|nods to|an homage to|homage to|pays tribute to"),
        "influenced_by",
        "based_on",
    ),
    _cue("inspired", _word(r"inspired|influenced"), "influenced_by", "based_on", backward=True),
    _cue(
        "cited as",
        r"\bcit(?:ed|es|ing)\b[^.;]{1,60}?\bas (?:an? |his |her |their )?(?:influence|inspiration)",
        "influenced_by",
        object_inside=True,
    ),
    _cue("filmed in", _word(r"filmed in|shot in|filmed on location in|recorded in"), "filmed_in"),
    _cue(
        "from the album",
        # Not "on his EP": in "X covered "Song" on his EP "Y"" the EP holds the cover, not the song.
        _word(r"(?:from|off) (?:the|his|her|their) (?:album|LP|record|EP)|on the (?:album|LP|EP)|appears on"),
        "appears_on",
    ),
    _cue("released in", _word(r"released in|came out in|was released in|issued in"), "released_in"),
    _cue(
        "collaborated with",
        _word(r"collaborat(?:ed|ion|ions|ing) with|worked with|teamed up with"),
        "collaborated_with",
    ),
    _cue("much like", _word(r"much like|mirrors|echoes the story of"), "mirrors"),
)
# Words that show a relation may be meant even where no cue above fits: such sentences are listed.
_HINT_WORDS = re.compile(
    _word(
        r"samples?|sampled|sampling|interpolat\w*|remix\w*|covers?|covered|inspir\w*|influen\w*|nod|homage|"
        r"based|direct\w*|produc\w*|filmed|favou?rite|cited|cites|released"
    ),
    re.IGNORECASE,
)
_FAVOURITE = re.compile(
    r"\bfavou?rite (?:[\w-]+ )?(films?|movies?|albums?|songs?|records?|books?|shows?|tracks?)\b", re.IGNORECASE
)
_BORROWED_PART = re.compile(
    r"\b(?:opening|intro|introduction|hook|riff|chorus|refrain|loop|melody|bassline|bass line|drum break|"
    r"break|vocals?|voice) (?:of|to|from|in)\b",
    re.IGNORECASE,
)
_SINGLE_OF_ALBUM = re.compile(
    r"\b(?:its|the album's|the record's)\s+(?:[\w-]+\s+)?(?:single|track|song)\b",
    re.IGNORECASE,
)
_LIKENED = re.compile(r"\b(?:is|was|looks|sounds|felt|feels) (?:just )?like\b|\blikened\b|\bcompared\b", re.IGNORECASE)
_VIA = re.compile(r"\(via ([^()]{2,60})\)")
_YEAR = re.compile(r"(?<![\w.])(1[89]\d\d|20\d\d)(?![\w])")


# ---------------------------------------------------------------- mentions


@dataclass
class _Entity:
    key: str
    titled: bool
    forms: Counter[str] = field(default_factory=Counter)
    noun_kinds: Counter[str] = field(default_factory=Counter)
    votes: Counter[str] = field(default_factory=Counter)
    kind: str | None = None
    video_of: str | None = None  # for a video entity: the song's key
    order: int = 0


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    form: str  # title | name | year | video | pronoun | anaphor
    key: str | None  # entity key (after merging), or the year, or None when unresolved
    possessive: bool = False
    inner: bool = False  # a title inside a video phrase: not a slot of its own


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).casefold()
    text = re.sub(r"[^\w\s]", "", text)
    text = re.sub(r"^the\s+", "", " ".join(text.split()))
    return text


_QUOTED = re.compile(r"\"([^\"\n]{1,120})\"|\u201c([^\u201d\n]{1,120})\u201d|(?<![\w])'([A-Z][^'\n]{0,80}?)'(?![\w])")
_NAME_TOKEN = r"(?:[A-Z]\.){2,}|[A-Z][\w&\u2019'-]*\w|[A-Z]"
_NAME = re.compile(
    rf"(?<![\w'\u2019])(?:{_NAME_TOKEN})(?:(?:\s+(?:{'|'.join(_NAME_PARTICLES)}|&))?\s+(?:{_NAME_TOKEN}))*"
)
_VIDEO = re.compile(
    r"\b(?:music )?video (?:for|to) (?:\"([^\"\n]{1,80})\"|\u201c([^\u201d\n]{1,80})\u201d|((?:[A-Z][\w'-]*\s?){1,5}))"
    r"|(?:\"([^\"\n]{1,80})\"|\u201c([^\u201d\n]{1,80})\u201d) (?:music )?video\b"
)


def _strip_title(raw: str) -> str:
    return raw.strip().rstrip(".,;:").strip()


def _title_like(title: str) -> bool:
    words = re.findall(r"[\w'-]+", title)
    if not words or len(words) > 12 or not (title[0].isupper() or title[0].isdigit()):
        return False
    if len(words) <= 3:
        return True
    significant = [word for word in words if len(word) > 3]
    return not significant or sum(word[0].isupper() for word in significant) / len(significant) >= 0.5


class _Reader:
    """Pass one: every mention in every sentence, the entities they name, and nouns that tell kinds."""

    def __init__(self, sentences: Sequence[Sentence]):
        self.sentences = sentences
        self.entities: dict[str, _Entity] = {}
        self.mid_sentence_words: set[str] = set()
        for sentence in sentences:
            for match in re.finditer(r"(?<=[a-z,;] )([A-Z][\w'-]*)", sentence.text):
                self.mid_sentence_words.add(match.group(1).removesuffix("'s"))
        self.raw_mentions: list[list[_Mention]] = [self._read(sentence) for sentence in sentences]
        self.aliases = self._merge_short_names()

    def entity(self, key: str, name: str, titled: bool) -> _Entity:
        entity = self.entities.get(key)
        if entity is None:
            entity = self.entities[key] = _Entity(key, titled, order=len(self.entities))
        entity.titled = entity.titled or titled
        entity.forms[name] += 1
        return entity

    def _read(self, sentence: Sentence) -> list[_Mention]:
        if sentence.heading:
            return []
        text = sentence.text
        mentions: list[_Mention] = []
        taken: list[tuple[int, int]] = []
        for match in _VIDEO.finditer(text):
            song = next(group for group in match.groups() if group)
            song = _strip_title(song)
            if not song or not _title_like(song) or _key(song) in _NOT_NAMES:
                continue
            song_key = _key(song)
            video = self.entity(f"video:{song_key}", f'the "{song}" music video', titled=False)
            video.kind, video.video_of = "video", song_key
            self.entity(song_key, song, titled=True)
            mentions.append(_Mention(match.start(), match.end(), "video", video.key))
            inner = match.start(match.lastindex or 1)
            mentions.append(_Mention(inner, inner + len(song), "title", song_key, inner=True))
            taken.append((match.start(), match.end()))
        for match in _QUOTED.finditer(text):
            raw = next(group for group in match.groups() if group is not None)
            title = _strip_title(raw)
            if not _title_like(title) or len(title) > MAX_NAME or _overlaps(match.span(), taken):
                if len(raw.split()) > 12:
                    continue  # quoted speech: names inside it still count
                taken.append(match.span())
                continue
            entity = self.entity(_key(title), title, titled=True)
            possessive = False
            mentions.append(_Mention(match.start(), match.end(), "title", entity.key, possessive))
            taken.append(match.span())
            kind = self._noun_before(text[: match.start()]) or self._noun_after(text[match.end() :])
            if kind in _TITLE_KINDS:
                entity.noun_kinds[kind] += 1
        for match in _NAME.finditer(text):
            if _overlaps(match.span(), taken):
                continue
            for start, end, name in self._names_in(text, match.start(), match.group(0)):
                possessive = text[end : end + 2] in ("'s", "\u2019s") or (
                    name.endswith("s") and text[end : end + 1] in ("'", "\u2019") and text[end + 1 : end + 2] == " "
                )
                entity = self.entity(_key(name), name, titled=False)
                mentions.append(_Mention(start, end, "name", entity.key, possessive))
                kind = self._noun_before(text[:start])
                if kind in _NAME_KINDS:
                    entity.noun_kinds[kind] += 1
        for match in _YEAR.finditer(text):
            if not _overlaps(match.span(), taken):
                mentions.append(_Mention(match.start(), match.end(), "year", match.group(1)))
        for match in re.finditer(r"\b(he|she|they|him|her|his|their|them)\b", text, re.IGNORECASE):
            mentions.append(_Mention(match.start(), match.end(), "pronoun", None))
        anaphor_words = "|".join(sorted(_ANAPHORS, key=len, reverse=True))
        for match in re.finditer(rf"\b(?:the|this|that|its|his|her|their) ({anaphor_words})\b", text, re.I):
            after = text[match.end() : match.end() + 2]
            if _overlaps(match.span(), taken) or after.strip().startswith(('"', "\u201c")) or after.startswith(" f"):
                continue  # "the album "Graduation"" names it; "the video for" is a video phrase
            mentions.append(_Mention(match.start(), match.end(), "anaphor", _ANAPHORS[match.group(1).lower()]))
        return sorted(mentions, key=lambda mention: (mention.start, -mention.end))

    def _names_in(self, text: str, start: int, raw: str) -> Iterable[tuple[int, int, str]]:
        """Split a capitalised run into names: drop clause-opening words, demonyms and the possessive."""
        words = list(re.finditer(r"\S+", raw))
        kept: list[re.Match[str]] = []
        for word in words:
            bare = word.group(0).removesuffix("'s").removesuffix("\u2019s")
            lowered = bare.lower()
            sentence_start = not kept and _at_clause_start(text, start + word.start())
            if lowered in _DEMONYMS or lowered in {"i"} or (not kept and lowered in _NAME_PARTICLES):
                if kept:
                    yield from _emit(start, kept)
                kept = []
                continue
            if not kept and lowered in _NOT_NAMES and lowered != "the":
                continue
            if sentence_start and lowered == "the":
                continue
            if sentence_start and len(words) == 1 and bare not in self.mid_sentence_words:
                continue  # "Filmed in ...": a capital that only opens the sentence
            kept.append(word)
        if kept:
            yield from _emit(start, kept)

    @staticmethod
    def _noun_before(before: str) -> str | None:
        words = re.findall(r"[\w'-]+|[^\w\s]", before)[-4:]
        for word in reversed(words):
            kind = _KIND_NOUNS.get(word.lower())
            if kind:
                return kind
            if not (word.islower() or word.isdigit() or word in ("-",)):
                return None
        return None

    @staticmethod
    def _noun_after(after: str) -> str | None:
        match = re.match(r"\s*(?:[,)]\s*)?(?:(?:the|a|an|his|her|their) )?([a-z]+)", after)
        if match:
            kind = _KIND_NOUNS.get(match.group(1))
            if kind in _TITLE_KINDS and match.group(1) not in ("hit", "feature", "anime"):
                return kind
        return None

    def _merge_short_names(self) -> dict[str, str]:
        """A one-word name that is the first or last word of exactly one longer name is that name."""
        long_names: dict[str, list[str]] = defaultdict(list)
        for entity in self.entities.values():
            if entity.titled or entity.video_of:
                continue
            parts = entity.key.split()
            if 2 <= len(parts) <= 4:
                for part in {parts[0], parts[-1]}:
                    long_names[part].append(entity.key)
        aliases: dict[str, str] = {}
        for entity in list(self.entities.values()):
            if entity.titled or " " in entity.key or entity.video_of:
                continue
            targets = long_names.get(entity.key, [])
            if len(targets) == 1:
                target = self.entities[targets[0]]
                target.forms.update({form: 0 for form in entity.forms})
                target.noun_kinds.update(entity.noun_kinds)
                aliases[entity.key] = target.key
                del self.entities[entity.key]
        return aliases


def _overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _at_clause_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \"'\u201c(")
    return not before or before.endswith((".", ":", "!", "?", "\u2014", "[")) or before.endswith("[")


def _emit(start: int, words: list[re.Match[str]]) -> Iterable[tuple[int, int, str]]:
    while words and words[-1].group(0).lower() in _NAME_PARTICLES:
        words = words[:-1]
    if not words:
        return
    first, last = words[0], words[-1]
    raw_end = last.end() - (2 if last.group(0).endswith(("'s", "\u2019s")) else 0)
    name = " ".join(word.group(0) for word in words)
    name = (
        name.removesuffix("'s").removesuffix("\u2019s").rstrip(".,")
        if not re.fullmatch(r"(?:[A-Z]\.){2,}", name)
        else name
    )
    if len(name) > 1:
        yield start + first.start(), start + raw_end, name


# ---------------------------------------------------------------- facts


@dataclass(frozen=True)
class _Candidate:
    subject: str
    relation: str
    object: str  # entity key or year
    sentence: int
    cue: str
    via: str | None = None


class _Drafter:
    """Pass two: cues in each sentence, filled from the mentions around them, with pronouns resolved."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.entities = reader.entities
        self.candidates: list[_Candidate] = []
        self.fruitless: dict[int, list[str]] = defaultdict(list)
        self.hinted: set[int] = set()
        self.history: list[tuple[int, str]] = []  # (sentence index, entity key), in reading order

    def run(self) -> None:
        for index, sentence in enumerate(self.reader.sentences):
            if sentence.heading:
                continue
            mentions = self._resolve(index, self.reader.raw_mentions[index])
            self._sentence(index, sentence.text, mentions)
            for mention in mentions:
                if mention.key and mention.form in ("title", "name", "video"):
                    self.history.append((index, mention.key))

    # -- resolution of merged names, pronouns and "the video"

    def _resolve(self, index: int, mentions: list[_Mention]) -> list[_Mention]:
        resolved: list[_Mention] = []
        for mention in mentions:
            if mention.form in ("title", "name"):
                key = self.reader.aliases.get(mention.key or "", mention.key)
                resolved.append(replace(mention, key=key))
            elif mention.form == "pronoun":
                seen = [m.key for m in resolved if m.form == "name" and m.key and self._maker_like(m.key)]
                key = seen[-1] if seen else self._recent(index, self._maker_like)
                resolved.append(replace(mention, key=key))
            elif mention.form == "anaphor":
                kind = mention.key or ""

                def is_kind(key: str, kind: str = kind) -> bool:
                    found = self._noun_kind(key)
                    entity = self.entities.get(key)
                    # A title nothing calls anything is most likely a song: "the song" may point to it.
                    return found == kind or (found is None and kind == "song" and entity is not None and entity.titled)

                seen = [m.key for m in resolved if m.key and m.form in ("title", "video") and is_kind(m.key)]
                key = seen[-1] if seen else self._recent(index, is_kind)
                resolved.append(replace(mention, key=key))
            else:
                resolved.append(mention)
        return resolved

    def _recent(self, index: int, test, sentences_back: int = 3) -> str | None:  # type: ignore[no-untyped-def]
        for seen_in, key in reversed(self.history):
            if index - seen_in > sentences_back:
                break
            if key in self.entities and test(key):
                return key
        return None

    def _maker_like(self, key: str) -> bool:
        entity = self.entities.get(key)
        if entity is None or entity.titled or entity.video_of:
            return False
        nouns = set(entity.noun_kinds)
        return bool(nouns & set(_MAKERS)) or (not nouns and " " in key)

    def _noun_kind(self, key: str) -> str | None:
        entity = self.entities.get(key)
        if entity is None:
            return None
        if entity.video_of:
            return "video"
        return entity.noun_kinds.most_common(1)[0][0] if entity.noun_kinds else None

    def _possible(self, key: str) -> tuple[str, ...]:
        """Kinds an entity may still be: its nouns decide; otherwise titles are works and names people or places."""
        entity = self.entities[key]
        if entity.video_of:
            return ("video",)
        if entity.noun_kinds:
            return (entity.noun_kinds.most_common(1)[0][0],)
        return _TITLE_KINDS if entity.titled else _NAME_KINDS

    # -- one sentence

    def _sentence(self, index: int, text: str, mentions: list[_Mention]) -> None:
        via_match = _VIA.search(text)
        via = via_match.group(1).strip() if via_match else None
        if via_match:
            mentions = [m for m in mentions if not (via_match.start() <= m.start < via_match.end())]
        before = len(self.candidates)
        used_spans: list[tuple[int, int]] = []
        if _HINT_WORDS.search(text):
            self.hinted.add(index)

        def add(subject: str | None, relation: str, obj: str | None, cue: str) -> bool:
            if not subject or not obj or subject == obj:
                return False
            self.candidates.append(_Candidate(subject, relation, obj, index, cue, via))
            return True

        self._video_for(mentions, add)
        self._possessive_by(text, mentions, add)
        self._years(text, mentions, add)
        self._title_by(text, mentions, add)
        self._character_from(text, mentions, add)
        favourite = self._favourite(text, mentions, add)
        if favourite:
            used_spans.append(favourite)
        self._likened(text, mentions, add)
        self._borrowed_part(index, text, mentions, add)
        self._single_of_album(index, text, mentions, add)
        for cue in _CUES:
            for match in cue.pattern.finditer(text):
                if _overlaps(match.span(), used_spans):
                    continue
                used_spans.append(match.span())
                made = self._fill(cue, match, text, mentions, add)
                if not made:
                    self.fruitless[index].append(cue.name)
        if len(self.candidates) == before and index in self.hinted and not self.fruitless.get(index):
            self.fruitless[index].append(_HINT_WORDS.search(text).group(0).lower())  # type: ignore[union-attr]

    def _fill(self, cue: _Cue, match: re.Match[str], text: str, mentions: list[_Mention], add) -> bool:  # type: ignore[no-untyped-def]
        relation_names = [name for name in cue.relations if name in RELATIONS]
        if not relation_names:
            return False
        right = _objects_after(text, mentions, match.start() if cue.object_inside else match.end())
        made = False
        for relation_name in relation_names:
            relation = RELATIONS[relation_name]
            year_object = YEAR in relation.object_kinds
            if cue.backward:
                subjects = [m for m in right if self._fits(m, relation.subject_kinds)][:1]
                objects = self._nearest_before(mentions, match.start(), relation.object_kinds, year_object)
            else:
                objects = [m for m in right if self._fits(m, relation.object_kinds, year_object)]
                # "The cover art for "Nevermind" was photographed by ...": the subject may sit inside the cue.
                spoken_for = {id(m) for m in objects}
                subjects = self._nearest_before(
                    [m for m in mentions if id(m) not in spoken_for], match.end(), relation.subject_kinds, False
                )
                if not subjects and objects and "," not in text[: match.start()]:
                    subjects = self._after_opening_phrase(text, mentions, objects[-1].end, relation.subject_kinds)
            for subject in subjects:
                for obj in objects:
                    made = add(subject.key, relation_name, obj.key, cue.name) or made
            if made:
                return True
        return False

    def _fits(self, mention: _Mention, kinds: frozenset[str], year_ok: bool = False) -> bool:
        if mention.inner or mention.key is None:
            return False
        if mention.form == "year":
            return year_ok
        if mention.key not in self.entities:
            return False
        return bool(set(self._possible(mention.key)) & kinds)

    def _nearest_before(
        self, mentions: list[_Mention], position: int, kinds: frozenset[str], year_ok: bool
    ) -> list[_Mention]:
        for mention in reversed([m for m in mentions if m.end <= position]):
            if self._fits(mention, kinds, year_ok):
                return [mention]
        return []

    def _after_opening_phrase(
        self, text: str, mentions: list[_Mention], after: int, kinds: frozenset[str]
    ) -> list[_Mention]:
        """The subject follows an opening phrase: `Filmed in Tokyo and directed by X, the video ...`."""
        comma = text.find(",", after)
        if comma < 0:
            return []
        for mention in mentions:
            if (
                mention.start > comma
                and text[comma + 1 : mention.start].strip() == ""
                or (mention.start > comma and mention.form == "anaphor" and mention.start - comma < 6)
            ):
                return [mention] if self._fits(mention, kinds) else []
        return []

    # -- cheap, high-precision patterns

    def _video_for(self, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        for mention in mentions:
            if mention.form == "video" and mention.key:
                add(mention.key, "video_for", self.entities[mention.key].video_of, "video for")

    def _possessive_by(self, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        """`Daft Punk's "Harder, ..."`, `Otomo's classic 1988 film "Akira"`, `his 2007 album "Graduation"`."""
        named = [m for m in mentions if m.form != "year"]
        for owner, title in zip(named, named[1:], strict=False):
            if title.form != "title" or title.inner:
                continue
            if owner.form == "name" and owner.possessive:
                between = re.sub(r"^(?:'s|\u2019s|'|\u2019)", "", text[owner.end : title.start])
            elif owner.form == "pronoun" and text[owner.start : owner.end].lower() in ("his", "her", "their"):
                between = " " + text[owner.end : title.start]
            else:
                continue
            words = between.split()
            if len(words) > 4 or any(not (w.islower() or w.isdigit()) for w in words):
                continue
            if words and _KIND_NOUNS.get(words[-1].rstrip(",")) not in _TITLE_KINDS:
                continue
            if owner.form == "pronoun" and not words:
                continue
            owner_word = text[owner.start : owner.end].lower()
            add(title.key, "by", owner.key, "possessive" if owner.form == "name" else f"{owner_word} … {words[-1]}")

    def _title_by(self, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        """`"Kid Charlemagne" by Steely Dan`."""
        for title, maker in zip(mentions, mentions[1:], strict=False):
            if title.form == "title" and not title.inner and maker.form == "name":
                if re.fullmatch(r",?\s+by\s+(?:the\s+)?", text[title.end : maker.start]):
                    add(title.key, "by", maker.key, "by")

    def _years(self, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        """`1988 film "Akira"` and `"Akira" (1988)`: the year a work came out."""
        for year, title in zip(mentions, mentions[1:], strict=False):
            if year.form == "year" and title.form == "title" and not title.inner:
                words = text[year.end : title.start].split()
                if 1 <= len(words) <= 2 and _KIND_NOUNS.get(words[-1].lower()) in _TITLE_KINDS:
                    add(title.key, "released_in", year.key, "year before a title")
        for title, year in zip(mentions, mentions[1:], strict=False):
            if title.form == "title" and year.form == "year" and re.fullmatch(r"\s*\(", text[title.end : year.start]):
                add(title.key, "released_in", year.key, "year after a title")

    def _character_from(self, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        for name, title in zip(mentions, mentions[1:], strict=False):
            if (
                name.form == "name"
                and title.form == "title"
                and re.fullmatch(r"\s+from\s+", text[name.end : title.start])
            ):
                if self._noun_kind(title.key or "") in ("film", "show", "book"):
                    if add(name.key, "character_in", title.key, "character from"):
                        self.entities[name.key or ""].votes["character"] += 3

    def _favourite(self, text: str, mentions: list[_Mention], add) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
        match = _FAVOURITE.search(text)
        if not match:
            return None
        kind = _KIND_NOUNS.get(match.group(1).lower())
        fans = [m for m in mentions if m.start < match.start() and m.key and m.form in ("name", "pronoun")]
        fans = [m for m in fans if self._maker_like(m.key or "")]
        if not fans:
            return None
        made = False
        for work in mentions:
            if work.form == "title" and not work.inner and work.key:
                if kind and not self.entities[work.key].noun_kinds:
                    self.entities[work.key].votes[kind] += 2
                made = add(work.key, "favourite_of", fans[-1].key, "favourite") or made
        cited = re.search(r"\bcit(?:ed|es|ing)\b", text)
        return (min(match.start(), cited.start()) if cited else match.start(), match.end()) if made else None

    def _likened(self, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        speech = re.search(rf"\b{_SPEECH_VERBS}\b", text)
        if not speech:
            return
        speakers = [m for m in mentions if m.end <= speech.start() and m.form in ("name", "pronoun") and m.key]
        speakers = [m for m in speakers if self._maker_like(m.key or "")]
        for match in _LIKENED.finditer(text, speech.end()):
            after = [m for m in mentions if m.start >= match.end() and m.form in ("title", "name") and m.key]
            if speakers and after and len(text[match.end() : after[0].start].split()) <= 1:
                add(speakers[-1].key, "likened_work_to", after[0].key, "is like")

    def _single_of_album(self, index: int, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        """A song from the album the article was just talking about: `Its first single, "Crazy", ...`."""
        for match in _SINGLE_OF_ALBUM.finditer(text):
            song = next((m for m in mentions if m.start >= match.end() and m.form == "title" and not m.inner), None)
            if song is None or song.key is None or text[match.end() : song.start].strip(" ,") != "":
                continue
            album = self._recent(index, lambda key, song=song: key != song.key and self._noun_kind(key) == "album")
            if add(album and song.key, "appears_on", album, "its single"):
                self.entities[song.key].votes["song"] += 2

    def _borrowed_part(self, index: int, text: str, mentions: list[_Mention], add) -> None:  # type: ignore[no-untyped-def]
        """The song the article is about borrows a part: `… the opening to Daft Punk's "Harder, …"`."""
        for match in _BORROWED_PART.finditer(text):
            after = [m for m in mentions if m.start >= match.end() and m.start - match.end() < 40]
            work = next((m for m in after if m.form == "title" and not m.inner), None)
            if work is None or work.key is None:
                continue
            earlier = [m.key for m in mentions if m.end <= match.start() and m.form == "title" and m.key != work.key]
            topic = (
                earlier[-1]
                if earlier
                else self._recent(
                    index,
                    lambda key, work=work: (
                        self.entities[key].titled
                        and key != work.key
                        and self._noun_kind(key) in (None, "song", "album")
                    ),
                )
            )
            add(topic, "samples", work.key, "borrowed part")


def _objects_after(text: str, mentions: list[_Mention], position: int, max_gap_words: int = 4) -> list[_Mention]:
    """The mention right after a cue, and any listed with it: "from Elton John to Labi Siffre to Steely Dan"."""
    found: list[_Mention] = []
    cursor = position
    for mention in mentions:
        if mention.start < cursor or mention.inner or mention.form == "pronoun":
            continue
        between = text[cursor : mention.start]
        if not found:
            if re.search(r"[.;!?()\u2014]|\s-\s", between) or len(between.split()) > max_gap_words:
                break
        elif not re.fullmatch(r"\s*(?:,\s*)?(?:and|&|or|to|plus|as well as)?\s*", between):
            break
        found.append(mention)
        cursor = mention.end
    # "samples Gianfranco Reverberi's "Last Man Standing"": the object is the work, not its maker.
    works = {m.start: m for m in mentions if m.form == "title" and not m.inner}
    result: list[_Mention] = []
    for mention in found:
        following = next((m for start, m in sorted(works.items()) if start >= mention.end), None)
        if (
            mention.possessive
            and following is not None
            and re.fullmatch(r"(?:'s|\u2019s|'|\u2019)?\s+(?:[a-z0-9-]+\s+){0,3}", text[mention.end : following.start])
        ):
            result.append(following)
        else:
            result.append(mention)
    return result


# ---------------------------------------------------------------- putting it together


def draft_pack(article: Article, *, pack_id: str | None = None, url: str | None = None) -> Draft:
    """Draft a pack from an article; the result renders to YAML that passes `packs check`."""
    sentences = split_sentences(article.text)
    reader = _Reader(sentences)
    drafter = _Drafter(reader)
    drafter.run()
    _vote_kinds(drafter)
    entities = _draft_entities(reader)
    facts, unmatched = _draft_facts(drafter, sentences, entities)
    title = _shorten(article.title or "Drafted pack", MAX_TITLE)
    draft = Draft(
        pack_id=pack_id or _slug(title) or "drafted-pack",
        title=title,
        source_title=_shorten(article.title or "Article", MAX_TITLE * 3),
        source_text=article.text,
        source_url=url,
        entities=tuple(entities.values()),
        facts=tuple(facts),
        unmatched=tuple(unmatched),
    )
    return _keep_what_validates(draft)


# Which kind a relation's end suggests when the nouns said nothing (names: a person unless stated).
_PREFERRED_KINDS: dict[tuple[str, str], str] = {
    ("samples", "object"): "musician",
    ("interpolates", "object"): "musician",
    ("filmed_in", "object"): "city",
    ("character_in", "subject"): "character",
    ("mirrors", "object"): "character",
    ("directed_by", "object"): "person",
    ("cover_art_by", "object"): "person",
    ("produced_by", "object"): "person",
}


def _vote_kinds(drafter: _Drafter) -> None:
    entities = drafter.entities
    for candidate in drafter.candidates:
        relation = RELATIONS[candidate.relation]
        ends = [("subject", candidate.subject, relation.subject_kinds)]
        if YEAR not in relation.object_kinds:
            ends.append(("object", candidate.object, relation.object_kinds))
        for side, key, kinds in ends:
            entity = entities.get(key)
            if entity is None or entity.noun_kinds or entity.video_of:
                continue
            possible = [kind for kind in drafter._possible(key) if kind in kinds]
            preferred = _PREFERRED_KINDS.get((candidate.relation, side))
            if candidate.relation == "by" and side == "object":
                subject = entities.get(candidate.subject)
                subject_kind = subject and (subject.noun_kinds.most_common(1)[0][0] if subject.noun_kinds else "song")
                preferred = "musician" if subject_kind in ("song", "album") else "person"
            if preferred in possible:
                entity.votes[preferred] += 2 if len(possible) == 1 else 1
            elif len(possible) == 1:
                entity.votes[possible[0]] += 2
    for entity in entities.values():
        if entity.video_of:
            entity.kind = "video"
        elif entity.noun_kinds:
            entity.kind = entity.noun_kinds.most_common(1)[0][0]
        elif entity.votes:
            entity.kind = entity.votes.most_common(1)[0][0]
        else:
            entity.kind = "song" if entity.titled else "person"


def _draft_entities(reader: _Reader) -> dict[str, DraftEntity]:
    drafted: dict[str, DraftEntity] = {}
    used_ids: set[str] = set()
    all_forms = {form.casefold() for entity in reader.entities.values() for form in entity.forms}
    for entity in sorted(reader.entities.values(), key=lambda e: e.order):
        name = _display_name(entity)
        slug_name = re.sub(r"(?i)^the\s+", "", name.replace(" music video", " video")) if entity.video_of else name
        entity_id = _unique(_slug(slug_name) or "entity", used_ids)
        aliases = _aliases(entity, name, reader, all_forms)
        drafted[entity.key] = DraftEntity(entity_id, name, entity.kind or "person", aliases)
    return drafted


def _display_name(entity: _Entity) -> str:
    forms = [form for form, _ in entity.forms.most_common()]
    if entity.titled or entity.video_of:
        return forms[0]
    longest = max(forms, key=lambda form: (len(form.split()), entity.forms[form]))
    return longest


def _aliases(entity: _Entity, name: str, reader: _Reader, all_forms: set[str]) -> tuple[str, ...]:
    aliases: list[str] = []
    if entity.video_of:
        song = reader.entities.get(entity.video_of)
        song_name = _display_name(song) if song else entity.video_of
        aliases += [f"{song_name} music video", f"{song_name} video", f"video for {song_name}"]
    for form in entity.forms if not entity.video_of else ():
        if form != name:
            aliases.append(form)
    if re.match(r"(?i)the\s", name) and not entity.video_of:
        aliases.append(name[4:])
    parts = name.split()
    if not entity.titled and entity.kind == "person" and 2 <= len(parts) <= 3:
        surname = parts[-1]
        if sum(1 for other in reader.entities.values() if other.key.split()[-1:] == [surname.casefold()]) == 1:
            aliases.append(surname)
    seen = {name.casefold()}
    unique = []
    for alias in aliases:
        if alias.casefold() not in seen and len(alias) <= MAX_NAME:
            seen.add(alias.casefold())
            unique.append(alias)
    return tuple(unique)


def _draft_facts(
    drafter: _Drafter, sentences: Sequence[Sentence], entities: dict[str, DraftEntity]
) -> tuple[list[DraftFact], list[UnmatchedSentence]]:
    facts: list[DraftFact] = []
    seen: set[tuple[str, str, str]] = set()
    kept_in: set[int] = set()
    for candidate in drafter.candidates:
        subject = entities.get(candidate.subject)
        relation = RELATIONS[candidate.relation]
        if subject is None:
            continue
        if YEAR in relation.object_kinds:
            obj_id = candidate.object
        else:
            obj = entities.get(candidate.object)
            if obj is None or obj.kind not in relation.object_kinds:
                continue
            obj_id = obj.id
        if subject.kind not in relation.subject_kinds:
            continue
        triple = (subject.id, relation.name, obj_id)
        if triple in seen:
            kept_in.add(candidate.sentence)
            continue
        quote = _quote(sentences[candidate.sentence].text, [subject, entities.get(candidate.object)])
        if quote is None:
            continue
        seen.add(triple)
        kept_in.add(candidate.sentence)
        facts.append(DraftFact(subject.id, relation.name, obj_id, quote, candidate.cue, candidate.via))
    facts.extend(_sampled_makers(facts, entities))
    unmatched = [
        UnmatchedSentence(" ".join(sentences[index].text.split()), tuple(dict.fromkeys(cues)))
        for index, cues in sorted(drafter.fruitless.items())
        if index not in kept_in
    ]
    return facts, unmatched


def _sampled_makers(facts: list[DraftFact], entities: dict[str, DraftEntity]) -> list[DraftFact]:
    """X samples a song by M, and the quote names M: X samples M too (the musician question)."""
    by_id = {entity.id: entity for entity in entities.values()}
    makers = {fact.subject: fact.object for fact in facts if fact.relation == "by"}
    existing = {(fact.subject, fact.relation, fact.object) for fact in facts}
    extra = []
    for fact in facts:
        maker = makers.get(fact.object) if fact.relation == "samples" else None
        if maker is None or by_id[maker].kind != "musician" or (fact.subject, "samples", maker) in existing:
            continue
        if _mentions(fact.quote, by_id[maker]):
            existing.add((fact.subject, "samples", maker))
            extra.append(DraftFact(fact.subject, "samples", maker, fact.quote, "samples a song by", fact.via))
    return extra


def _quote(sentence: str, ends: Sequence[DraftEntity | None]) -> str | None:
    """The sentence as evidence: at least four words, naming one of the fact's entities, within the size limit."""
    quote = " ".join(sentence.split())
    if len(quote) > MAX_QUOTE:
        return None
    if len(quote.split()) < 4:
        return None
    if not any(entity is not None and _mentions(quote, entity) for entity in ends):
        return None
    return quote


def _mentions(quote: str, entity: DraftEntity) -> bool:
    text = normalise_quote_text(quote)
    return any(normalise_quote_text(name) in text for name in (entity.name, *entity.aliases))


def _keep_what_validates(draft: Draft) -> Draft:
    """Run the pack validator; drop any fact it refuses and list its sentence with the validator's words.

    A draft without facts is returned as it is: it is not a pack yet, and the caller says so.
    """
    for _ in range(3):
        if not draft.facts:
            return draft
        try:
            parse_pack(render_draft(draft), "draft.yaml")
            return draft
        except PackError as error:
            bad: dict[int, str] = {}
            for issue in error.issues:
                match = re.match(r"facts\[(\d+)\]", issue.field)
                if match is None:
                    raise
                bad.setdefault(int(match.group(1)), issue.message)
            kept = tuple(fact for index, fact in enumerate(draft.facts) if index not in bad)
            refused = tuple(
                UnmatchedSentence(draft.facts[index].quote, (draft.facts[index].cue,), reason)
                for index, reason in bad.items()
            )
            draft = replace(draft, facts=kept, unmatched=draft.unmatched + refused)
    parse_pack(render_draft(draft), "draft.yaml")
    return draft


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > 48:
            break
        slug = candidate
    return slug


def _unique(base: str, used: set[str]) -> str:
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base}-{number}"
        number += 1
    used.add(candidate)
    return candidate


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


__all__ = ["Draft", "DraftEntity", "DraftFact", "UnmatchedSentence", "draft_pack", "render_draft", "KINDS"]
