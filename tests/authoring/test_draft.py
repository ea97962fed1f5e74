from pathlib import Path

import pytest

from bot.authoring.draft import Draft, draft_pack, render_draft
from bot.authoring.text import ArticleError, article_from_file, article_from_text, split_sentences
from bot.trivia.packs import parse_pack

ARTICLES = Path(__file__).parent / "articles"
SEED_TEXT = Path(__file__).parents[2] / "questions" / "kanye-stronger-akira.txt"


def facts_by_name(draft: Draft) -> set[tuple[str, str, str]]:
    names = {entity.id: entity.name for entity in draft.entities}
    return {(names[fact.subject], fact.relation, names.get(fact.object, fact.object)) for fact in draft.facts}


def draft_of_file(name: str) -> Draft:
    path = ARTICLES / name
    return draft_pack(article_from_file(path.read_bytes(), path.name))


def assert_passes_the_check(draft: Draft) -> None:
    pack = parse_pack(render_draft(draft), "draft.yaml")  # raises PackError with every problem otherwise
    assert len(pack.facts) == len(draft.facts)
    for fact, drafted in zip(pack.facts, draft.facts, strict=True):
        assert fact.quote == drafted.quote  # rendered and read back exactly


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ('"Hung Up" samples "Gimme! Gimme! Gimme!" by ABBA.', ("Hung Up", "samples", "Gimme! Gimme! Gimme!")),
        (
            'The drums of "Amen, Brother" were sampled by "Straight Outta Compton" in 1988.',
            ("Straight Outta Compton", "samples", "Amen, Brother"),
        ),
        (
            '"Good Life" interpolates "P.Y.T. (Pretty Young Thing)" by Michael Jackson.',
            ("Good Life", "interpolates", "P.Y.T. (Pretty Young Thing)"),
        ),
        (
            'The Fugees single "Killing Me Softly" covers "Killing Me Softly with His Song" by Roberta Flack.',
            ("Killing Me Softly", "covers", "Killing Me Softly with His Song"),
        ),
        (
            'The track "Smells Like Teen Spirit (Butch Vig Mix)" is a remix of "Smells Like Teen Spirit".',
            ("Smells Like Teen Spirit (Butch Vig Mix)", "remix_of", "Smells Like Teen Spirit"),
        ),
        (
            'The 1982 film "Blade Runner" is based on the novel "Do Androids Dream of Electric Sheep?"',
            ("Blade Runner", "based_on", "Do Androids Dream of Electric Sheep?"),
        ),
        (
            'The song "Don\'t Stand So Close to Me" nods to Vladimir Nabokov\'s novel "Lolita".',
            ("Don't Stand So Close to Me", "influenced_by", "Lolita"),
        ),
        (
            'The video for "Sabotage" was directed by Spike Jonze.',
            ('the "Sabotage" music video', "directed_by", "Spike Jonze"),
        ),
        (
            'The video for "Sabotage" was filmed in Los Angeles.',
            ('the "Sabotage" music video', "filmed_in", "Los Angeles"),
        ),
        (
            'The cover art for the album "Nevermind" was photographed by Kirk Weddle.',
            ("Nevermind", "cover_art_by", "Kirk Weddle"),
        ),
        ('The album "Nevermind" was produced by Butch Vig.', ("Nevermind", "produced_by", "Butch Vig")),
        ('"Come as You Are" is a single from the album "Nevermind".', ("Come as You Are", "appears_on", "Nevermind")),
        ('The album "Nevermind" was released in 1991 on DGC.', ("Nevermind", "released_in", "1991")),
        ('Michael Jackson\'s 1982 album "Thriller" sold more than any other.', ("Thriller", "released_in", "1982")),
        ('Michael Jackson\'s 1982 album "Thriller" sold more than any other.', ("Thriller", "by", "Michael Jackson")),
        ('"Kid Charlemagne" by Steely Dan opens the album.', ("Kid Charlemagne", "by", "Steely Dan")),
        (
            'Quentin Tarantino has called "The Good, the Bad and the Ugly" his favourite film of all time.',
            ("The Good, the Bad and the Ugly", "favourite_of", "Quentin Tarantino"),
        ),
        (
            "Kurt Cobain cited the Pixies as an influence on every song he wrote.",
            ("Kurt Cobain", "influenced_by", "Pixies"),
        ),
    ],
)
def test_each_relation_cue(sentence, expected):
    draft = draft_pack(article_from_text(sentence))
    assert expected in facts_by_name(draft), draft.summary()
    assert_passes_the_check(draft)


@pytest.mark.parametrize(
    "sentence",
    [
        "As recently as 2008, he even tweeted about the record again.",
        "The band covered a lot of ground that summer in Europe.",
        "Everyone in the room was inspired that night.",
        "The drummer was inspired, and the crowd knew it.",
    ],
)
def test_sentences_without_a_fact_give_none(sentence):
    assert draft_pack(article_from_text(sentence)).facts == ()


def test_seed_article_draft_passes_the_check_and_invents_no_tweet_year():
    draft = draft_pack(article_from_text(SEED_TEXT.read_text(encoding="utf-8")))
    assert_passes_the_check(draft)
    facts = facts_by_name(draft)
    assert not any(relation == "released_in" and year == "2008" for _, relation, year in facts)
    assert ("Graduation", "cover_art_by", "Takashi Murakami") in facts
    assert ('the "Stronger" music video', "filmed_in", "L.A.") in facts
    unmatched = [item.sentence for item in draft.unmatched]
    assert any(sentence.startswith("The most memorable sample") for sentence in unmatched)
    # The cookie notice pasted with the article is not article text; the headline after it is the title.
    assert draft.source_text.startswith("This Kanye Music Video Is Actually Based On Anime\n\nWhether or not")
    assert draft.title == "This Kanye Music Video Is Actually Based On Anime"


def test_a_review():
    draft = draft_of_file("review.txt")
    assert_passes_the_check(draft)
    facts = facts_by_name(draft)
    for expected in [
        ("St. Elsewhere", "by", "Gnarls Barkley"),
        ("St. Elsewhere", "released_in", "2006"),
        ("St. Elsewhere", "produced_by", "Danger Mouse"),  # "Danger Mouse, who produced the record"
        ("Crazy", "appears_on", "St. Elsewhere"),  # "Its first single, "Crazy", ..."
        ("Crazy", "samples", "Last Man Standing"),
        ("Crazy", "samples", "Gianfranco Reverberi"),
        ("Last Man Standing", "by", "Gianfranco Reverberi"),
        ("Crazy", "released_in", "2006"),
        ('the "Crazy" music video', "video_for", "Crazy"),
        ('the "Crazy" music video', "directed_by", "Robert Hales"),
    ]:
        assert expected in facts, draft.summary()
    kinds = {entity.name: entity.kind for entity in draft.entities}
    assert kinds["St. Elsewhere"] == "album" and kinds["Crazy"] == "song" and kinds["Robert Hales"] == "person"
    # A musician covering a song is not a `covers` fact (a song covers a song): listed for a human instead.
    assert [item.cues for item in draft.unmatched] == [("covers",)]
    assert draft.title == 'Review: Gnarls Barkley, "St. Elsewhere"'


def test_a_list_of_samples():
    draft = draft_of_file("samples-list.txt")
    assert_passes_the_check(draft)
    facts = facts_by_name(draft)
    pairs = [
        ("One More Time", "More Spell on You", "Eddie Johns"),
        ("Digital Love", "I Love You More", "George Duke"),
        ("Harder, Better, Faster, Stronger", "Cola Bottle Baby", "Edwin Birdsong"),
        ("Aerodynamic", "Il Macquillage Lady", "Sister Sledge"),
        ("Superheroes", "Who Do You Love", "Barry Manilow"),
    ]
    for track, sampled, musician in pairs:
        assert (track, "samples", sampled) in facts
        assert (sampled, "by", musician) in facts
        assert (track, "samples", musician) in facts
    assert ("Discovery", "by", "Daft Punk") in facts and ("Discovery", "released_in", "2001") in facts
    assert len(facts) == 17  # nothing beyond what the list says


def test_html_with_navigation_cookie_banner_and_comments():
    draft = draft_of_file("boilerplate.html")
    assert_passes_the_check(draft)
    for boilerplate in ("cookie", "Trending", "Lemonade", "Reviews", "my cousin", "Best band ever", "Copyright"):
        assert boilerplate not in draft.source_text
    assert draft.title == 'How the Beastie Boys made "Sabotage"'
    facts = facts_by_name(draft)
    video = 'the "Sabotage" music video'
    for expected in [
        ("Sabotage", "appears_on", "Ill Communication"),  # "The song comes from the album ..."
        (video, "directed_by", "Spike Jonze"),
        (video, "filmed_in", "Los Angeles"),
        (video, "influenced_by", "The Streets of San Francisco"),
    ]:
        assert expected in facts, draft.summary()


def test_the_rendered_draft_names_its_source_and_cues():
    draft = draft_pack(
        article_from_text('Title line\n\n"Come as You Are" is a single from the album "Nevermind".'),
        url="https://example.com/a",
    )
    text = render_draft(draft)
    assert "url: https://example.com/a" in text
    assert "# cue: from the album" in text
    assert parse_pack(text, "x.yaml").source.url == "https://example.com/a"


def test_a_pasted_cookie_notice_is_dropped_but_a_sentence_about_cookies_is_not():
    text = "We use cookies to improve your experience. Accept all cookies?\n\nThe band refused cookies from fans."
    assert article_from_text(text).text == "The band refused cookies from fans."


def test_sentences_come_from_a_segmenter_not_full_stops():
    sentences = [s.text for s in split_sentences("Filmed in Tokyo and L.A. and directed by Hype Williams. It worked.")]
    assert sentences == ["Filmed in Tokyo and L.A. and directed by Hype Williams.", "It worked."]


def test_an_article_about_one_song_on_an_album():
    draft = draft_of_file("teardrop.txt")
    assert_passes_the_check(draft)
    video = 'the "Teardrop" music video'
    assert facts_by_name(draft) == {
        ("Mezzanine", "by", "Massive Attack"),
        ("Mezzanine", "released_in", "1998"),
        ("Teardrop", "appears_on", "Mezzanine"),  # "Its best-known song, "Teardrop""
        ("I Found a Reason", "by", "Velvet Underground"),
        ("Risingson", "samples", "I Found a Reason"),
        ("Risingson", "samples", "Velvet Underground"),
        (video, "video_for", "Teardrop"),
        (video, "directed_by", "Walter Stern"),
        ("Mezzanine", "produced_by", "Neil Davidge"),
    }
    # The headline ends on a quoted title but is still a headline, not a claim that "Teardrop" is by someone.
    assert draft.title == 'The Story Behind Massive Attack\'s "Teardrop"'
    # A cover on someone's EP is not the song appearing on that EP: listed for a human instead.
    assert [item.cues for item in draft.unmatched] == [("covers",)]


def test_a_legacy_encoded_html_page_is_read_and_a_binary_text_file_refused():
    html = '<html><body><article><p>The video for "Sabotage" was directed by Spike Jonze.</p></article></body></html>'
    article = article_from_file(html.replace("Jonze", "Jonz\u00e9").encode("cp1252"), "page.html")
    assert "Spike Jonz\u00e9" in article.text
    with pytest.raises(ArticleError, match="not UTF-8"):
        article_from_file(b"\xff\xfe\x00bad", "notes.txt")
