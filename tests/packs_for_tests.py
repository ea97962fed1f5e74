"""Small packs written inline, for tests that need an uploadable pack (source.text, no files)."""

from __future__ import annotations

ARTICLE = (
    "Amen, Brother is a 1969 track by The Winstons. Its drum break, the Amen break, was sampled by "
    "countless jungle records. N.W.A's Straight Outta Compton sampled it too."
)


def uploaded_pack_yaml(pack_id: str = "amen-break", title: str = "The Amen break") -> str:
    return f"""\
id: {pack_id}
title: {title}
source:
  title: A note on the Amen break
  text: "{ARTICLE}"
entities:
  - {{id: amen-brother, name: "Amen, Brother", kind: song, year: 1969}}
  - {{id: the-winstons, name: The Winstons, kind: musician}}
  - {{id: straight-outta-compton, name: Straight Outta Compton, kind: song}}
facts:
  - subject: amen-brother
    relation: by
    object: the-winstons
    quote: Amen, Brother is a 1969 track by The Winstons.
  - subject: straight-outta-compton
    relation: samples
    object: amen-brother
    quote: "N.W.A's Straight Outta Compton sampled it too."
  - subject: amen-brother
    relation: released_in
    object: 1969
    quote: Amen, Brother is a 1969 track
distractors:
  song: [Funky Drummer, Think (About It), Apache]
  musician: [James Brown, Lyn Collins, The Incredible Bongo Band]
"""


# A minimal valid pack whose source is a file beside it (``TINY_SOURCE`` goes in ``article.txt``);
# tests corrupt one field at a time and expect the problem on a known line.
TINY_SOURCE = "Akira is a classic 1988 film by Katsuhiro Otomo. The video was filmed in Tokyo."
TINY_PACK = """\
id: tiny
title: Tiny
source:
  title: A tiny article
  file: article.txt
entities:
  - id: akira
    name: Akira
    kind: film
  - id: otomo
    name: Katsuhiro Otomo
    kind: person
facts:
  - subject: akira
    relation: by
    object: otomo
    quote: Akira is a classic 1988 film by Katsuhiro Otomo
"""
