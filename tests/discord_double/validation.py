"""The subset of Discord's payload limits that bots commonly trip over.

Real Discord answers an oversized or empty message with HTTP 400, and the bot sees an
``HTTPException`` in production. A double that accepted everything would let those bugs
through the end-to-end tests, so the double rejects the same payloads with the same error
codes (50006 empty message, 50035 invalid form body). Limits come from Discord's API docs.
"""

from __future__ import annotations

from typing import Any

from .models import FLAG_COMPONENTS_V2

EMPTY_MESSAGE = 50006
INVALID_FORM_BODY = 50035

_EMBED_LIMITS = {"title": 256, "description": 4096}
_EMBED_TOTAL = 6000


class PayloadError(Exception):
    """A payload Discord would refuse; carries the JSON error body to return."""

    def __init__(self, code: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or {}

    def body(self) -> dict[str, Any]:
        errors = {
            key: {"_errors": [{"code": "DOUBLE_VALIDATION", "message": text}]} for key, text in self.errors.items()
        }
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if errors:
            body["errors"] = errors
        return body


def _invalid(errors: dict[str, str]) -> None:
    if errors:
        raise PayloadError(INVALID_FORM_BODY, "Invalid Form Body", errors)


def _embed_errors(embeds: list[dict[str, Any]]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(embeds) > 10:
        errors["embeds"] = f"at most 10 embeds, got {len(embeds)}"
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                errors[f"embeds.{i}.{key}"] = f"must be at most {limit} characters, got {len(value)}"
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = f"at most 25 fields, got {len(fields)}"
        for j, f in enumerate(fields):
            name, value = f.get("name") or "", f.get("value") or ""
            total += len(name) + len(value)
            if not name or len(name) > 256:
                errors[f"embeds.{i}.fields.{j}.name"] = "must be 1-256 characters"
            if not value or len(value) > 1024:
                errors[f"embeds.{i}.fields.{j}.value"] = "must be 1-1024 characters"
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > 2048:
            errors[f"embeds.{i}.footer.text"] = "must be at most 2048 characters"
        if len(author) > 256:
            errors[f"embeds.{i}.author.name"] = "must be at most 256 characters"
    if total > _EMBED_TOTAL:
        errors["embeds"] = f"embeds total {total} characters, limit is {_EMBED_TOTAL}"
    return errors


def _walk(components: list[dict[str, Any]]):
    stack = list(components)
    while stack:
        component = stack.pop()
        yield component
        stack.extend(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                stack.append(component[key])


def _component_errors(components: list[dict[str, Any]], flags: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    if not v2:
        if len(components) > 5:
            errors["components"] = f"at most 5 action rows, got {len(components)}"
        for i, row in enumerate(components):
            if row.get("type") != 1:
                errors[f"components.{i}"] = "top-level components must be action rows without IS_COMPONENTS_V2"
                continue
            children = row.get("components") or []
            if not 1 <= len(children) <= 5:
                errors[f"components.{i}.components"] = f"an action row holds 1-5 components, got {len(children)}"
            if any(c.get("type") != 2 for c in children) and len(children) > 1:
                errors[f"components.{i}.components"] = "a select menu must be alone in its action row"
    elif sum(1 for _ in _walk(components)) > 40:
        errors["components"] = "at most 40 components with IS_COMPONENTS_V2"
    seen: set[str] = set()
    for component in _walk(components):
        custom_id = component.get("custom_id")
        if custom_id is not None:
            if not 1 <= len(custom_id) <= 100:
                errors[f"custom_id {custom_id[:20]!r}"] = "custom_id must be 1-100 characters"
            if custom_id in seen:
                errors[f"custom_id {custom_id[:20]!r}"] = "Component custom id cannot be duplicated"
            seen.add(custom_id)
        if component.get("type") == 2:
            label = component.get("label") or ""
            if len(label) > 80:
                errors[f"button {label[:20]!r}"] = "button label must be at most 80 characters"
            is_link = component.get("style") == 5
            if is_link and not component.get("url"):
                errors[f"button {label[:20]!r}"] = "link buttons need a url"
            if not is_link and component.get("style") != 6 and custom_id is None:
                errors[f"button {label[:20]!r}"] = "non-link buttons need a custom_id"
    return errors


def validate_message(body: dict[str, Any], *, creating: bool, has_files: bool) -> None:
    """Raise ``PayloadError`` for a message create/edit body Discord would reject."""
    errors: dict[str, str] = {}
    content = body.get("content")
    flags = int(body.get("flags") or 0)
    if content is not None and len(content) > 2000:
        errors["content"] = f"Must be 2000 or fewer in length (got {len(content)})"
    if flags & FLAG_COMPONENTS_V2 and (content or body.get("embeds")):
        errors["content"] = "content and embeds cannot be used with IS_COMPONENTS_V2"
    errors |= _embed_errors(body.get("embeds") or [])
    errors |= _component_errors(body.get("components") or [], flags)
    am = body.get("allowed_mentions")
    if isinstance(am, dict):
        parse = am.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and am.get(kind):
                errors[f"allowed_mentions.{kind}"] = f"parse:{kind} and {kind} are mutually exclusive"
    _invalid(errors)
    if creating and not (
        content
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or has_files
    ):
        raise PayloadError(EMPTY_MESSAGE, "Cannot send an empty message")


def validate_choices(data: dict[str, Any]) -> None:
    choices = data.get("choices") or []
    errors: dict[str, str] = {}
    if len(choices) > 25:
        errors["choices"] = f"at most 25 choices, got {len(choices)}"
    for i, choice in enumerate(choices):
        name = choice.get("name") or ""
        if not 1 <= len(name) <= 100:
            errors[f"choices.{i}.name"] = "must be 1-100 characters"
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors[f"choices.{i}.value"] = "must be at most 100 characters"
    _invalid(errors)


def validate_modal(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not 1 <= len(data.get("title") or "") <= 45:
        errors["title"] = "must be 1-45 characters"
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        errors["custom_id"] = "must be 1-100 characters"
    if not 1 <= len(data.get("components") or []) <= 5:
        errors["components"] = "a modal holds 1-5 top-level components"
    _invalid(errors)
