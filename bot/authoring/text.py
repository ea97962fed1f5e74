"""From a page or a text file to the article's text, and from the text to sentences.

HTML goes through trafilatura, which is built to find a page's main text and leaves out navigation,
cookie banners and comments. Sentences come from pysbd, a rule-based segmenter that knows about
abbreviations ("L.A.", "Dr."), quotes and ellipses, where a regex on full stops would cut "L.A." in two.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_TITLE_WORDS = 16


class ArticleError(Exception):
    """A page or file that holds no article text; the message says which."""


@dataclass(frozen=True)
class Article:
    title: str | None
    text: str  # paragraphs separated by a blank line


@dataclass(frozen=True)
class Sentence:
    text: str  # exactly as in the article, without surrounding white space or a list marker
    paragraph: int
    heading: bool  # a line in Title Case without a full stop: a headline, not a claim


def clean_text(text: str) -> str:
    """Canonical spacing: NFC, no non-breaking or zero-width spaces, no trailing blanks, one blank line at most.

    Quotes are cut from this cleaned text and the draft stores it as the source, so they always match.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").replace("\t", " ")
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def article_from_text(text: str) -> Article:
    """A pasted article; a cookie notice copied along with it (the seed article starts with one) is dropped."""
    cleaned = "\n\n".join(p for p in clean_text(text).split("\n\n") if not _COOKIE_NOTICE.search(p) or len(p) > 400)
    if not cleaned:
        raise ArticleError("the text is empty")
    return Article(_title_from_text(cleaned), cleaned)


_COOKIE_NOTICE = re.compile(
    r"\b(?:we use cookies|uses cookies|cookies help us|our use of cookies|cookie (?:policy|settings|preferences)"
    r"|accept (?:all )?cookies)\b",
    re.IGNORECASE,
)


def article_from_html(html: str) -> Article:
    """The page's main text (trafilatura: no menus, cookie banners or comments) and its title."""
    import trafilatura  # imported here: it takes a moment to load and only drafting from HTML needs it

    document = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, favor_precision=True, with_metadata=True
    )
    text = getattr(document, "text", None) if document is not None else None
    if not text or not text.strip():
        raise ArticleError("no article text found in the page")
    # trafilatura puts one paragraph a line; a blank line between them keeps paragraphs apart for the segmenter.
    cleaned = clean_text("\n\n".join(line for line in text.split("\n") if line.strip()))
    title = (getattr(document, "title", None) or "").strip() or _title_from_text(cleaned)
    return Article(title, cleaned)


def _title_from_text(text: str) -> str | None:
    """The first short line without a full stop: the headline of a pasted article."""
    for paragraph in text.split("\n\n")[:4]:
        line = paragraph.strip()
        if "\n" not in line and 0 < len(line.split()) <= MAX_TITLE_WORDS and not line.endswith((".", ",", ";")):
            return line
    return None


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


_LIST_MARKER = re.compile(r"^(?:[-*\u2022\u2013]|\d{1,3}[.)])\s+")


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        for raw in _segmenter().segment(paragraph):
            for line in raw.split("\n") if _is_list(raw) else [raw]:
                item = _LIST_MARKER.match(line.strip()) is not None
                sentence = _LIST_MARKER.sub("", line.strip()).strip()
                if sentence:
                    sentences.append(Sentence(sentence, number, not item and _is_heading(sentence)))
    return sentences


def _is_list(raw: str) -> bool:
    return any(_LIST_MARKER.match(line.strip()) for line in raw.split("\n")[1:])


def _is_heading(sentence: str) -> bool:
    # A headline may end on a quoted title (`... Massive Attack's "Teardrop"`); a sentence ends on . ! ? : ;
    if sentence.rstrip("\"'\u201d\u2019").endswith((".", "!", "?", ":", ";", ",")) or "\n" in sentence:
        return False
    outside_quotes = re.sub(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d", " ", sentence)
    words = [word for word in re.findall(r"[A-Za-z][\w'-]*", outside_quotes) if len(word) > 3]
    if len(words) < 3:
        return False
    capitalised = sum(word[0].isupper() for word in words)
    return capitalised / len(words) >= 0.75


HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")


def article_from_file(raw: bytes, name: str) -> Article:
    """A .txt or .html file's article; the name's suffix says which (an upload has no other hint)."""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in HTML_SUFFIXES + TEXT_SUFFIXES:
        raise ArticleError(f"{name}: expected a .txt or .html file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if suffix not in HTML_SUFFIXES:
            raise ArticleError(f"{name}: not UTF-8 text (byte {error.start})") from None
        text = raw.decode("cp1252", errors="replace")  # what browsers assume for an undeclared legacy page
    return article_from_html(text) if suffix in HTML_SUFFIXES else article_from_text(text)


def looks_like_url(source: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source.strip()))
