"""The one entry point: `crate-digger` (or `python -m bot`).

Subcommands: run, sync, commands (Discord); play (terminal game); packs check/list/show; fact; facts draft;
db check/backup/copy; players forget; health (a service manager's probe).
Every error a user can cause ends in one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

# Only what every command needs is imported here; each command imports its own modules, so a quick
# one (`fact`, `--help`) never pays for discord.py, aiohttp, the YAML loader or question generation.
import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.factsheets import Sheet
    from bot.trivia.catalog import Catalog
    from bot.trivia.model import Pack

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what `yes | head` reports for `yes`, so pipelines read it the same way


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own, given the terminal's width up front. argparse builds a formatter for every argument
    it adds, and the stock one imports ``shutil`` (and with it zlib, bz2 and lzma) to ask for the width:
    about 4 ms of every command, `fact`'s 80 ms budget included."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _help_width() if width is None else width)


def _help_width() -> int:
    # What shutil.get_terminal_size() reports (COLUMNS, else the terminal, else 80), less argparse's margin of 2.
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(columns - 2, 11)


class _ArgumentParser(argparse.ArgumentParser):
    """Every parser and sub-parser of the tool formats help with ``_HelpFormatter`` (sub-parsers are made
    with the parent's class)."""

    def __init__(self, *args: Any, formatter_class: type[argparse.HelpFormatter] = _HelpFormatter, **kwargs: Any):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="crate-digger", description="Trivia about samples and influences, on Discord or in a terminal."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    sync = commands.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="sync to this server only (instant) instead of globally")
    dump = commands.add_parser("commands", help="print the slash-command payload a sync sends")
    dump.add_argument("--json", action="store_true", required=True, help="print as JSON")

    play = commands.add_parser("play", help="play a round in this terminal (no Discord needed)")
    play.add_argument("--pack", metavar="ID_OR_FILE", help="pack id or pack file (default: the first built-in pack)")
    play.add_argument("--questions", type=int, default=5, metavar="N", help="number of questions (default 5)")
    play.add_argument("--seconds", type=float, default=30, metavar="S", help="seconds per question (default 30)")
    play.add_argument("--seed", type=int, help="shuffle seed, for a repeatable round")
    play.add_argument("--mode", choices=("choices", "text"), default="choices", help="answer mode (default choices)")
    play.add_argument("--name", default=None, help="your name on the leaderboard")
    play.add_argument("--daily", action="store_true", help="answer today's daily question (one a day, from every pack)")

    packs = commands.add_parser("packs", help="check, list and show question packs")
    pack_commands = packs.add_subparsers(dest="packs_command", required=True, metavar="ACTION")
    check = pack_commands.add_parser("check", help="validate pack files or folders; exit 1 on any problem")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    pack_commands.add_parser("list", help="list the built-in packs and those PACKS_DIR adds, with their counts")
    imported = pack_commands.add_parser(
        "import", help="turn a Red-DiscordBot trivia list or Open Trivia DB JSON into a pack"
    )
    imported.add_argument("file", type=Path, metavar="FILE")
    imported.add_argument(
        "--from", dest="source_format", choices=("red", "opentdb"), help="the file's format (default: detected)"
    )
    imported.add_argument("-o", "--out", type=Path, required=True, metavar="OUT.yaml", help="the pack to write")
    imported.add_argument("--id", dest="pack_id", help="the pack's id (default: from OUT's file name)")
    imported.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    show = pack_commands.add_parser("show", help="show a pack with its facts and questions")
    show.add_argument("pack", metavar="ID_OR_FILE")
    show.add_argument("--json", action="store_true", help="print as JSON")

    facts = commands.add_parser("facts", help="draft facts from an article")
    facts_commands = facts.add_subparsers(dest="facts_command", required=True, metavar="ACTION")
    draft = facts_commands.add_parser(
        "draft", help="draft a pack from a .txt or .html file or an http(s) URL; review it, then `packs check` it"
    )
    draft.add_argument("source", metavar="SOURCE", help="a .txt or .html file, or an http(s) URL")
    draft.add_argument("-o", "--output", type=Path, required=True, metavar="DRAFT.yaml", help="where to write")
    draft.add_argument("--id", dest="pack_id", help="the pack id (default: from the article's title)")
    draft.add_argument("--force", action="store_true", help="replace DRAFT.yaml if it exists")

    fact = commands.add_parser("fact", help="look up what an artist, song or film sampled or inspired")
    fact.add_argument("name", nargs="+")
    fact.add_argument("--pack", metavar="ID_OR_FILE", help="also look in this pack file (or check this pack id)")
    fact.add_argument("--json", action="store_true", help="print as JSON")

    db = commands.add_parser("db", help="check or back up the database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("check", help="integrity checks and the schema version; exit 1 on any problem")
    backup = db_commands.add_parser(
        "backup", help="a consistent copy of the SQLite database, safe while the bot is running"
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="file to write the copy to")
    backup.add_argument("--force", action="store_true", help="replace PATH if it already exists")
    copy = db_commands.add_parser(
        "copy", help="copy a SQLite database into PostgreSQL (moving up), in one transaction, verified"
    )
    copy.add_argument(
        "--from", dest="source", type=Path, metavar="SQLITE_PATH", help="the SQLite database (default: DATABASE_PATH)"
    )
    copy.add_argument(
        "--to", dest="target", metavar="DATABASE_URL", help="the PostgreSQL database (default: DATABASE_URL)"
    )
    copy.add_argument(
        "--replace", action="store_true", help="delete what the target already holds (default: refuse a non-empty one)"
    )
    players = commands.add_parser("players", help="a player's data")
    player_commands = players.add_subparsers(dest="players_command", required=True, metavar="ACTION")
    forget = player_commands.add_parser(
        "forget", help="delete a player's scores, answers, streaks, reports and daily answers (all servers or one)"
    )
    forget.add_argument("user_id", type=int, metavar="USER_ID", help="the player's Discord user id")
    forget.add_argument("--guild", type=int, metavar="ID", help="only in this server (default: every server)")
    commands.add_parser(
        "health", help="exit 0 if the database is readable and Crate Digger's, 1 if not (for HEALTHCHECK)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot.config import ConfigError, load_settings
    from bot.storage.errors import StoreError

    try:
        settings = load_settings()
        code = _dispatch(args, settings)
        # Flush here so that a reader that went away (`| head`) is noticed inside the handler below,
        # not at interpreter exit where it would print "Exception ignored".
        sys.stdout.flush()
        return code
    except (ConfigError, StoreError) as error:
        # A StoreError that gets this far means the database could not be opened at all (a bad
        # DATABASE_PATH or DATABASE_URL, a newer schema), or `db check`/`db backup` could not read it:
        # once open, storage failures are reported where they happen.
        print(f"crate-digger: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """The reader of stdout is gone: send what is still buffered to /dev/null (the Python docs' recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "packs":
        if args.packs_command == "check":
            return check_packs(args.paths, settings)
        if args.packs_command == "list":
            return list_packs(settings)
        if args.packs_command == "import":
            return import_pack(args.file, args.out, args.source_format, args.pack_id, force=args.force)
        return show_pack(settings, args.pack, as_json=args.json)
    if args.command == "facts":
        return draft_facts(settings, args.source, args.output, pack_id=args.pack_id, force=args.force)
    if args.command == "fact":
        return look_up_fact(settings, " ".join(args.name), as_json=args.json, pack_ref=args.pack)
    if args.command == "db":
        if args.db_command == "check":
            return check_database(settings)
        if args.db_command == "copy":
            return copy_database(settings, args.source, args.target, replace=args.replace)
        return backup_database(settings, args.path, replace=args.force)
    if args.command == "players":
        return forget_player(settings, args.user_id, args.guild)
    if args.command == "play":
        return play(settings, args)
    if args.command == "health":
        return check_health(settings)
    from bot import launcher

    if args.command == "run":
        return launcher.run(settings)
    if args.command == "sync":
        return launcher.sync(settings, args.guild)
    return launcher.print_commands(settings)


def check_database(settings: Settings) -> int:
    import asyncio

    from bot.storage.maintenance import check_postgres, check_sqlite

    # A database that cannot be read at all is a StoreError, reported by main() like any other.
    if settings.database_url is not None:
        report = asyncio.run(check_postgres(settings.database_url))
    else:
        report = check_sqlite(settings.database_path)
    print(f"database: {report.database}")
    print(f"schema version: {report.schema_version} (this Crate Digger knows {report.known_version})")
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"problem: {problem}")
    print("ok" if report.ok else f"{len(report.problems)} problem(s) found")
    return EXIT_OK if report.ok else EXIT_INVALID


def backup_database(settings: Settings, path: Path, *, replace: bool) -> int:
    from bot.storage.maintenance import backup_sqlite

    if settings.database_url is not None:
        print(
            "crate-digger: db backup copies the SQLite database; with DATABASE_URL set, back PostgreSQL up "
            "with its own tools (pg_dump)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    report = backup_sqlite(settings.database_path, path, replace=replace)
    print(
        f"backed up {settings.database_path} to {report.path}: {report.size_bytes} bytes, "
        f"schema version {report.schema_version}, integrity ok, {report.seconds:.2f} s"
    )
    return EXIT_OK


def copy_database(settings: Settings, source: Path | None, target: str | None, *, replace: bool) -> int:
    import asyncio

    from bot.storage.transfer import copy_sqlite_to_postgres
    from bot.storage.urls import is_postgres_url

    target = target or settings.database_url
    if target is None or not is_postgres_url(target):
        print(
            "crate-digger: db copy needs a PostgreSQL target: --to postgresql://... (or DATABASE_URL set)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    report = asyncio.run(copy_sqlite_to_postgres(source or settings.database_path, target, replace=replace))
    width = max(len("table"), *(len(table.table) for table in report.tables))
    print(f"{'table':<{width}}  {'SQLite':>9}  {'PostgreSQL':>10}  checksum")
    for table in report.tables:
        print(
            f"{table.table:<{width}}  {table.source_rows:>9}  {table.target_rows:>10}  "
            f"{'equal' if table.checksums_match else 'DIFFERENT'}"
        )
    replaced = f", after deleting the {report.replaced_rows} rows it held" if report.replaced_rows else ""
    print(
        f"copied {report.source} (schema version {report.schema_version}) to {report.target}{replaced}: "
        f"{report.rows} rows in {len(report.tables)} tables, counts and checksums equal, {report.seconds:.2f} s"
    )
    return EXIT_OK


def forget_player(settings: Settings, user_id: int, guild_id: int | None) -> int:
    import asyncio

    from bot.storage import store_for
    from bot.storage.base import Erased

    async def forget() -> Erased:
        store = store_for(settings)
        await store.open()
        try:
            return await store.forget_player(user_id, guild_id)
        finally:
            await store.close()

    erased = asyncio.run(forget())
    where = "every server" if guild_id is None else f"server {guild_id}"
    if not erased.total and not erased.anonymised:
        print(f"nothing stored about user {user_id} in {where}")
        return EXIT_OK
    for table, count in erased.deleted.items():
        print(f"{table}: {count} deleted")
    if erased.anonymised:
        print(
            f"uploaded packs, disabled questions and resolved reports kept without the id: {erased.anonymised}"
        )
    print(f"forgot user {user_id} in {where}: {erased.total} rows deleted; other players' totals are unchanged")
    return EXIT_OK


def check_health(settings: Settings) -> int:
    from bot.storage.health import postgres_health, sqlite_health

    if settings.database_url:
        health = postgres_health(settings.database_url)
    else:
        health = sqlite_health(settings.database_path)
    print(f"{'ok' if health.ok else 'unhealthy'}: {health.detail}", file=sys.stdout if health.ok else sys.stderr)
    return EXIT_OK if health.ok else EXIT_INVALID


def _catalog(settings: Settings) -> Catalog:
    from bot.packcache import cached_catalog

    # Cached: unchanged packs load without the YAML loader, validation or question generation.
    catalog, problems = cached_catalog(settings.pack_folders, settings.pack_cache_dir, settings.pack_limits)
    for problem in problems:
        print(f"warning: skipped a pack: {problem}", file=sys.stderr)
    return catalog


def _chosen_pack(catalog: Catalog, pack_ref: str, settings: Settings) -> tuple[Pack, Catalog] | None:
    """The pack ``--pack`` names (an id or a file), or None after saying why there is none."""
    from bot.trivia.catalog import UnknownPack, resolve_pack

    try:
        return resolve_pack(catalog, pack_ref, settings.pack_limits)
    except UnknownPack as error:
        print(f"crate-digger: {error}", file=sys.stderr)
    except _pack_error() as error:
        print(error, file=sys.stderr)
    return None


def _pack_error() -> type[Exception]:
    # Only evaluated while an exception is matched: a pack id that resolves never imports the pack format.
    from bot.trivia.packs import PackError

    return PackError


def _no_packs(settings: Settings) -> int:
    print(f"crate-digger: no packs found in {', '.join(map(str, settings.pack_folders))}", file=sys.stderr)
    return EXIT_INVALID


# ---------------------------------------------------------------- play


def play(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console import play_in_terminal

    catalog = _catalog(settings)
    if args.daily:
        from bot.console_daily import play_daily_in_terminal

        if args.pack:
            # The daily question is the same for everyone here, so it never comes from one player's pack.
            print("crate-digger: --daily draws from every pack; leave out --pack", file=sys.stderr)
            return EXIT_USAGE
        return play_daily_in_terminal(settings, args, catalog)
    if args.pack:
        chosen = _chosen_pack(catalog, args.pack, settings)
        if chosen is None:
            return EXIT_INVALID
    elif catalog.packs():
        chosen = catalog.packs()[0], catalog
    else:
        return _no_packs(settings)
    return play_in_terminal(settings, args, *chosen)


# ---------------------------------------------------------------- packs


def check_packs(paths: Sequence[Path], settings: Settings) -> int:
    """Checked with this bot's size caps (settings MAX_PACK_BYTES, ...), as an upload to it would be."""
    from bot.trivia.packs import load_packs

    missing = [path for path in paths if not path.exists()]
    for path in missing:
        print(f"{path}:1: (file): no such file or folder", file=sys.stdout)
    result = load_packs((path for path in paths if path.exists()), settings.pack_limits)
    for issue in result.issues:
        print(issue)
    if result.issues or missing:
        count = len(result.issues) + len(missing)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_INVALID
    for pack in result.packs:
        print(
            f"ok: {pack.path}: {pack.id} ({len(pack.entities)} entities, {len(pack.facts)} facts, "
            f"{len(pack.questions)} hand-written questions)"
        )
    if not result.packs:
        print("no pack files found (looked for *.yaml and *.yml)", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK


def import_pack(file: Path, out: Path, source_format: str | None, pack_id: str | None, *, force: bool) -> int:
    from bot.authoring.imports import detect_format, import_trivia, pack_id_from_file
    from bot.trivia.packs import ID_PATTERN, PackError, PackIssue, decode_pack_bytes

    def fail(line: int, where: str, message: str, name: Path = file) -> int:
        print(PackIssue(str(name), line, where, message))
        return EXIT_INVALID

    if out.exists() and not force:
        return fail(1, "(file)", "already exists; pass --force to overwrite it", name=out)
    try:
        text = decode_pack_bytes(file.read_bytes(), str(file))
    except OSError as error:
        return fail(1, "(file)", f"cannot read: {error.strerror or error}")
    except PackError as error:
        print(error)
        return EXIT_INVALID
    source_format = source_format or detect_format(text)
    if source_format == "pack":
        return fail(
            1,
            "(file)",
            "not a Red trivia list or Open Trivia DB JSON (a pack needs no import); "
            "pass --from red or --from opentdb to see why",
        )
    pack_id = pack_id or pack_id_from_file(out.name)
    if not ID_PATTERN.match(pack_id):
        return fail(1, "id", f"{pack_id!r} is not an id: use lowercase letters, digits and hyphens", name=out)
    try:
        result = import_trivia(text, str(file), source_format=source_format, pack_id=pack_id, out_name=str(out))
    except PackError as error:
        print(error)
        return EXIT_INVALID
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_text(result.yaml_text, encoding="utf-8")
        partial.replace(out)  # all at once: a failed write never leaves half a pack over a good one
    except OSError as error:
        partial.unlink(missing_ok=True)
        return fail(1, "(file)", f"cannot write: {error.strerror or error}", name=out)
    print(result.summary(str(file), str(out)))
    return EXIT_OK


def list_packs(settings: Settings) -> int:
    catalog = _catalog(settings)
    packs = catalog.packs()
    if not packs:
        return _no_packs(settings)
    for pack in packs:
        summary = catalog.summary(pack.id)
        assert summary is not None
        print(
            f"{summary.id}: {summary.title} ({summary.entities} entities, {summary.facts} facts, "
            f"{summary.questions} questions, {summary.choice_questions} with choices)"
        )
    return EXIT_OK


def show_pack(settings: Settings, pack_ref: str, as_json: bool) -> int:
    import json

    chosen = _chosen_pack(_catalog(settings), pack_ref, settings)
    if chosen is None:
        return EXIT_INVALID
    pack, catalog = chosen
    document = pack_document(pack, catalog)
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{pack.title} [{pack.id}]")
    print(f"source: {pack.source.title}")
    for credit in (pack.source.license and f"license: {pack.source.license}", pack.source.attribution):
        if credit:
            print(credit)
    print(f"{len(pack.entities)} entities, {len(pack.facts)} facts, {len(document['questions'])} questions\n")
    for question in document["questions"]:
        options = f"  [{' / '.join(question['choices'])}]" if question["choices"] else ""
        print(f"- {question['prompt']}{options}\n    answer: {question['answers'][0]}")
    return EXIT_OK


def draft_facts(settings: Settings, source: str, output: Path, pack_id: str | None, force: bool) -> int:
    """`facts draft`: read the article, draft, write the YAML; the summary lists what needs a human."""
    import asyncio

    from bot.authoring.draft import draft_pack, render_draft
    from bot.authoring.fetch import FetchError, FetchLimits, fetch_page
    from bot.authoring.text import ArticleError, article_from_file, article_from_html, article_from_text, looks_like_url
    from bot.trivia.packs import ID_PATTERN

    if pack_id is not None and not ID_PATTERN.match(pack_id):
        print(
            f"crate-digger: --id {pack_id!r} is not an id: use lowercase letters, digits and hyphens", file=sys.stderr
        )
        return EXIT_USAGE
    if output.exists() and not force:
        print(f"crate-digger: {output} exists; choose another -o or add --force to replace it", file=sys.stderr)
        return EXIT_USAGE
    url = source.strip() if looks_like_url(source) else None
    try:
        if url is not None:
            page = asyncio.run(fetch_page(url, FetchLimits.from_settings(settings)))
            article = article_from_html(page.text()) if page.is_html else article_from_text(page.text())
        else:
            path = Path(source)
            try:
                raw = path.read_bytes()
            except OSError as error:
                print(f"crate-digger: cannot read {path}: {error.strerror or error}", file=sys.stderr)
                return EXIT_INVALID
            article = article_from_file(raw, path.name)
    except (FetchError, ArticleError) as error:
        print(f"crate-digger: {error}", file=sys.stderr)
        return EXIT_INVALID
    most_chars = settings.pack_limits.source_chars  # the setting MAX_ARTICLE_CHARS
    if len(article.text) > most_chars:
        print(
            f"crate-digger: the article is {len(article.text)} characters; a pack's source holds at most {most_chars}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    draft = draft_pack(article, pack_id=pack_id, url=url)
    print(draft.summary())
    if not draft.facts:
        print("crate-digger: no facts found, so nothing was written (a pack needs at least one)", file=sys.stderr)
        return EXIT_INVALID
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_text(render_draft(draft), encoding="utf-8")
        partial.replace(output)  # all or nothing: an interrupted write never leaves half a pack
    except OSError as error:
        partial.unlink(missing_ok=True)
        print(f"crate-digger: cannot write {output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_INVALID
    print(
        f"wrote {output}: review it (delete wrong facts, fix names and kinds), then `crate-digger packs check {output}`"
    )
    return EXIT_OK


def pack_document(pack: Pack, catalog: Catalog) -> dict[str, Any]:
    from bot.factsheets import entity_document

    return {
        "id": pack.id,
        "title": pack.title,
        "description": pack.description,
        "source": {
            "title": pack.source.title,
            "file": pack.source.file,
            "url": pack.source.url,
            "publisher": pack.source.publisher,
            "license": pack.source.license,
            "attribution": pack.source.attribution,
        },
        "entities": [entity_document(entity) for entity in pack.entities],
        "facts": [
            {
                "id": fact.id,
                "subject": fact.subject,
                "relation": fact.relation,
                "object": fact.object,
                "quote": fact.quote,
                "via": fact.via,
                "note": fact.note,
            }
            for fact in pack.facts
        ],
        "questions": [
            {
                "id": question.id,
                "prompt": question.prompt,
                "answers": list(question.answers),
                "choices": list(question.choices),
                "fact": question.fact_id,
                "quote": question.quote,
                "note": question.note,
            }
            for question in catalog.questions(pack.id)
        ],
    }


# ---------------------------------------------------------------- facts


def look_up_fact(settings: Settings, name: str, as_json: bool, pack_ref: str | None = None) -> int:
    # A known name is answered from the cached table of sheets (plain data: no dataclass, no pack
    # model, no YAML); a typo, a miss or --pack goes through the fact index.
    from bot.factsheets import TABLE_NAME, catalog_order, fact_index, fact_sheet, fact_table
    from bot.packcache import load_derived, load_folders
    from bot.trivia.answers import normalise

    warned = False
    if pack_ref is None:
        table = load_derived(
            settings.pack_folders, settings.pack_cache_dir, settings.pack_limits, TABLE_NAME, fact_table
        )
        _warn_skipped(table["problems"])
        warned = True
        entity_id = table["names"].get(normalise(name))
        if entity_id is not None:
            return _print_sheet(table["sheets"][entity_id], as_json)
    import json

    from bot.brief import brief

    loaded = load_folders(settings.pack_folders, settings.pack_cache_dir, settings.pack_limits)
    if not warned:
        _warn_skipped(loaded.problems)
    packs = catalog_order(loaded.packs)
    if pack_ref is not None:
        from bot.trivia.catalog import UnknownPack, find_pack
        from bot.trivia.packs import PackError

        try:
            pack, from_file = find_pack(packs, pack_ref, settings.pack_limits)
        except UnknownPack as error:
            print(f"crate-digger: {error}", file=sys.stderr)
            return EXIT_INVALID
        except PackError as error:
            print(error, file=sys.stderr)
            return EXIT_INVALID
        if from_file:  # it joins the others, replacing a pack with its id (as a Catalog layers it)
            packs = [*(known for known in packs if known.id != pack.id), pack]
    index = fact_index(packs)
    entity = index.find(name)
    if entity is None:
        suggestions = [candidate.name for candidate in index.suggest(name)]
        if as_json:
            print(json.dumps({"query": name, "found": None, "suggestions": suggestions}, indent=2))
        else:
            hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
            print(f"Nothing known as {brief(name)}.{hint}")
        return EXIT_INVALID
    return _print_sheet(fact_sheet(index.facts_about(entity)), as_json)


def _warn_skipped(problems: Sequence[str]) -> None:
    for problem in problems:
        print(f"warning: skipped a pack: {problem}", file=sys.stderr)


def _print_sheet(sheet: Sheet, as_json: bool) -> int:
    if as_json:
        import json

        print(json.dumps(sheet, indent=2, ensure_ascii=False))
    else:
        from bot.factsheets import format_sheet

        print(format_sheet(sheet))
    return EXIT_OK
