"""`crate-digger fact`'s answers as plain data: one sheet per entity, cached for the whole pack set.

A sheet is what `fact NAME --json` prints (the entity, its relations both ways, what it reaches
through its own works with the work each goes through, its packs); the text form is made from it. The
table of every sheet and every exact name is built once per set of pack files (with the fact index)
and cached with ``marshal`` (``bot.packcache.load_derived``), so a warm look-up of a known name reads
one file and imports no dataclass, no pack model and no relation table. Anything else (a typo, a
miss, ``--pack``) goes through the fact index and prints through the same sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.packcache import LoadedFolders
    from bot.trivia.facts import EntityFacts, FactIndex, Link
    from bot.trivia.model import Entity, Pack

Sheet = dict[str, Any]
TABLE_NAME = "fact-table"


def entity_document(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "kind": entity.kind,
        "aliases": list(entity.aliases),
        "year": entity.year,
        "description": entity.description,
    }


def fact_sheet(facts: EntityFacts) -> Sheet:
    entity = facts.entity

    def link_document(link: Link) -> dict[str, Any]:
        return {
            "relation": link.label,
            "other": link.other_text,
            "other_id": link.other.id if link.other else None,
            "quote": link.fact.quote,
            "note": link.fact.note,
            "via": link.fact.via,
            "source": link.source_title,
            "pack": link.pack_id,
        }

    return {
        "query_match": entity.name,
        "entity": entity_document(entity),
        "relations": [link_document(link) for link in facts.links],
        # "via" stays the fact's own, as in "relations"; "work" is the entity's work it goes through.
        "through": [{**link_document(link), "work": work.name} for work, link in facts.through],
        "packs": list(facts.pack_ids),
    }


def format_sheet(sheet: Sheet) -> str:
    """The text form of a sheet."""
    entity = sheet["entity"]
    details = ", ".join(str(part) for part in (entity["kind"], entity["year"]) if part)
    lines = [f"{entity['name']} ({details})" + (f": {entity['description']}" if entity["description"] else "")]
    if entity["aliases"]:
        lines.append(f"  also known as: {', '.join(entity['aliases'])}")
    for link in sheet["relations"]:
        via = f" (via {link['via']})" if link["via"] else ""
        lines.append(f"  {link['relation']}: {link['other']}{via}")
        lines.extend(_quote_lines(link))
    for link in sheet["through"]:
        lines.append(f"  through {link['work']}, {link['relation']}: {link['other']}")
        lines.extend(_quote_lines(link))
    sources = sorted({link["source"] for link in sheet["relations"]})
    if sources:
        lines.append(f"  source: {'; '.join(sources)}")
    return "\n".join(lines)


def _quote_lines(link: dict[str, Any]) -> list[str]:
    lines = [f'      "{link["quote"]}"']
    if link["note"]:
        lines.append(f"      note: {link['note']}")
    return lines


def fact_index(packs: Sequence[Pack]) -> FactIndex:
    from bot.trivia.facts import FactIndex

    return FactIndex(packs)


def catalog_order(packs: Iterable[Pack]) -> list[Pack]:
    """The packs in the order a Catalog lists them: where two define one entity, the first one's wins."""
    return sorted(packs, key=lambda pack: pack.id)


def fact_table(loaded: LoadedFolders) -> dict[str, Any]:
    """Every exact name (normalised) with its entity id, every entity's sheet, and the problems met."""
    index = fact_index(catalog_order(loaded.packs))
    sheets = {}
    for entity in index.entities():
        sheets[entity.id] = fact_sheet(index.facts_about(entity))
    return {"names": index.exact_names(), "sheets": sheets, "problems": list(loaded.problems)}
