import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import main
from bot.trivia.packs import load_pack_file
from tests.authoring.local_server import serve

ARTICLES = Path(__file__).parent / "articles"
BENCH = Path(__file__).parents[2] / "bench" / "draft_quality.py"


def test_draft_from_a_text_file_passes_packs_check(tmp_path, capsys):
    out = tmp_path / "draft.yaml"
    assert main(["facts", "draft", str(ARTICLES / "review.txt"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8 entities, 10 facts" in printed
    assert "Ray LaMontagne later covered" in printed  # a cue sentence without a fact, for a human to read
    assert main(["packs", "check", str(out)]) == 0
    assert load_pack_file(out).source.text.startswith('Review: Gnarls Barkley, "St. Elsewhere"')


def test_draft_from_an_html_file(tmp_path):
    out = tmp_path / "draft.yaml"
    assert main(["facts", "draft", str(ARTICLES / "boilerplate.html"), "-o", str(out), "--id", "sabotage"]) == 0
    pack = load_pack_file(out)
    assert pack.id == "sabotage"
    assert "cookie" not in pack.source.text


async def serve_article(request: web.Request) -> web.Response:
    return web.Response(body=(ARTICLES / "boilerplate.html").read_bytes(), content_type="text/html", charset="utf-8")


async def test_draft_from_a_url_served_locally(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FETCH_REFUSE_PRIVATE_ADDRESSES", "false")
    out = tmp_path / "draft.yaml"
    async with serve({"/sabotage": serve_article}) as base:
        # main() runs its own event loop for the fetch, so it runs in a thread beside the server's loop.
        code = await asyncio.to_thread(main, ["facts", "draft", f"{base}/sabotage", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    pack = load_pack_file(out)
    assert pack.source.url == f"{base}/sabotage"
    assert any(fact.relation == "directed_by" for fact in pack.facts)


async def test_a_private_url_is_refused_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FETCH_REFUSE_PRIVATE_ADDRESSES", raising=False)
    out = tmp_path / "draft.yaml"
    async with serve({"/sabotage": serve_article}) as base:
        code = await asyncio.to_thread(main, ["facts", "draft", f"{base}/sabotage", "-o", str(out)])
    assert code == 1
    assert "loopback address; only public addresses are fetched" in capsys.readouterr().err
    assert not out.exists()


def test_an_existing_draft_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "draft.yaml"
    out.write_text("my edits\n")
    assert main(["facts", "draft", str(ARTICLES / "review.txt"), "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_text() == "my edits\n"
    assert main(["facts", "draft", str(ARTICLES / "review.txt"), "-o", str(out), "--force"]) == 0
    assert out.read_text() != "my edits\n"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("missing.txt", "cannot read"),
        ("ftp://example.com/a.txt", "only http and https"),
    ],
)
def test_bad_sources_get_one_clear_line(tmp_path, capsys, source, message):
    assert (
        main(
            [
                "facts",
                "draft",
                str(tmp_path / source) if "://" not in source else source,
                "-o",
                str(tmp_path / "d.yaml"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_other_file_types_and_no_facts(tmp_path, capsys):
    pdf = tmp_path / "article.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert main(["facts", "draft", str(pdf), "-o", str(tmp_path / "d.yaml")]) == 1
    assert "expected a .txt or .html file" in capsys.readouterr().err
    plain = tmp_path / "plain.txt"
    plain.write_text("Nothing here relates anything to anything.\n")
    assert main(["facts", "draft", str(plain), "-o", str(tmp_path / "d.yaml")]) == 1
    assert "no facts found" in capsys.readouterr().err
    assert not (tmp_path / "d.yaml").exists()


def test_measured_quality_on_the_seed_article():
    spec = importlib.util.spec_from_file_location("draft_quality", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    quality = module.measure()
    assert quality.recall >= 0.8, quality.missed
    assert quality.precision >= 0.6, quality.wrong
