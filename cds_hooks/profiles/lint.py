"""Lint a CDS Hooks response body (the wire JSON) against the CDS Hooks 2.0 rules.

Checked: no null or empty values (the one sanctioned empty value is `{"cards": []}`), required
fields, summary under 140 characters, indicator values, source.label, uuid formats and uniqueness,
selectionBehavior with suggestions, action shapes, override reason Codings, link shapes. Profile
rules are in `lint_profile`; `lint_response` runs both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from cds_hooks.models import JSON

Severity = Literal["error", "warning"]
INDICATORS = frozenset({"info", "warning", "critical"})
SELECTION = frozenset({"at-most-one", "any"})
ACTION_TYPES = frozenset({"create", "update", "delete"})
LINK_TYPES = frozenset({"absolute", "smart"})
SUMMARY_LIMIT = 140


@dataclass(frozen=True)
class LintIssue:
    """One finding: where (a JSON path), which rule, and what is wrong."""

    severity: Severity
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message} [{self.rule}]"


def error(path: str, rule: str, message: str) -> LintIssue:
    """Return an error finding."""
    return LintIssue("error", path, rule, message)


def lint_spec(body: Any) -> list[LintIssue]:
    """Return the CDS Hooks 2.0 findings of a response body."""
    if not isinstance(body, dict) or not isinstance(body.get("cards"), list):
        return [error("$", "cards-required", "the body must be an object with a 'cards' array")]
    issues = list(_empty_values(body, "$", top=True))
    uuids: dict[str, str] = {}
    for i, card in enumerate(body["cards"]):
        issues.extend(_card(card, f"$.cards[{i}]", uuids))
    return issues


def is_uuid(value: Any) -> bool:
    """Return whether `value` is a UUID in its canonical 8-4-4-4-12 hex form."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def is_absolute_url(value: Any) -> bool:
    """Return whether `value` is an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _empty_values(value: Any, path: str, *, top: bool = False) -> Iterator[LintIssue]:
    """Yield a finding for every null, empty string, empty array or empty object below `value`."""
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(f"{path}.{k}", v) for k, v in value.items() if not (top and k == "cards")]
        if top and isinstance(value.get("cards"), list):
            items += [(f"{path}.cards[{i}]", v) for i, v in enumerate(value["cards"])]
    elif isinstance(value, list):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    for where, item in items:
        if item is None or item == "" or item == [] or item == {}:
            yield error(where, "no-empty-values", f"empty value {item!r}: omit the field instead")
        else:
            yield from _empty_values(item, where)


def _card(card: Any, path: str, uuids: dict[str, str]) -> Iterator[LintIssue]:
    """Yield the findings of one card."""
    if not isinstance(card, dict):
        yield error(path, "card-object", "a card must be an object")
        return
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        yield error(f"{path}.summary", "summary-required", "summary is required")
    elif len(summary) >= SUMMARY_LIMIT:
        yield error(f"{path}.summary", "summary-length", f"summary has {len(summary)} characters (< 140)")
    if card.get("indicator") not in INDICATORS:
        yield error(f"{path}.indicator", "indicator-value", "indicator must be info, warning or critical")
    yield from _source(card.get("source"), f"{path}.source")
    yield from _uuid(card, path, uuids, required=False)
    if "detail" in card and not isinstance(card["detail"], str):
        yield error(f"{path}.detail", "detail-string", "detail must be a string (Markdown)")
    for key in ("suggestions", "overrideReasons", "links"):
        if key in card and not isinstance(card[key], list):
            yield error(f"{path}.{key}", "array", f"{key} must be an array")
    yield from _suggestions(card, path, uuids)
    for i, reason in enumerate(_list(card, "overrideReasons")):
        yield from _coding(reason, f"{path}.overrideReasons[{i}]", display=True)
    for i, link in enumerate(_list(card, "links")):
        yield from _link(link, f"{path}.links[{i}]")
    if "extension" in card and not isinstance(card["extension"], dict):
        yield error(f"{path}.extension", "extension-object", "extension must be an object")


def _source(source: Any, path: str) -> Iterator[LintIssue]:
    """Yield the findings of card.source."""
    if not isinstance(source, dict):
        yield error(path, "source-required", "source is required")
        return
    label = source.get("label")
    if not isinstance(label, str) or not label.strip():
        yield error(f"{path}.label", "source-label", "source.label is required")
    for key in ("url", "icon"):
        if key in source and not is_absolute_url(source[key]):
            yield error(f"{path}.{key}", "absolute-url", f"source.{key} must be an absolute URL")
    if "topic" in source:
        yield from _coding(source["topic"], f"{path}.topic", display=False)


def _coding(coding: Any, path: str, *, display: bool) -> Iterator[LintIssue]:
    """Yield the findings of a Coding (code required; system, and display where asked, too)."""
    if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
        yield error(path, "coding", "a Coding needs a code")
        return
    wanted = ("system", "display") if display else ("system",)
    for key in wanted:
        if not isinstance(coding.get(key), str):
            yield error(f"{path}.{key}", "coding", f"a Coding here needs {key}")


def _uuid(item: JSON, path: str, uuids: dict[str, str], *, required: bool) -> Iterator[LintIssue]:
    """Yield findings for a missing, malformed or repeated uuid."""
    value = item.get("uuid")
    if value is None:
        if required:
            yield error(f"{path}.uuid", "uuid-required", "uuid is required (feedback names it)")
        return
    if not is_uuid(value):
        yield error(f"{path}.uuid", "uuid-format", "uuid must be a UUID (8-4-4-4-12 hex)")
    elif value in uuids:
        yield error(f"{path}.uuid", "uuid-unique", f"uuid already used at {uuids[value]}")
    else:
        uuids[value] = path


def _suggestions(card: JSON, path: str, uuids: dict[str, str]) -> Iterator[LintIssue]:
    """Yield the findings of card.suggestions and selectionBehavior."""
    suggestions = _list(card, "suggestions")
    behavior = card.get("selectionBehavior")
    if suggestions and behavior is None:
        yield error(
            f"{path}.selectionBehavior", "selection-required", "required when suggestions are present"
        )
    elif behavior is not None and behavior not in SELECTION:
        yield error(f"{path}.selectionBehavior", "selection-value", "must be at-most-one or any")
    recommended = sum(1 for s in suggestions if isinstance(s, dict) and s.get("isRecommended") is True)
    if behavior == "at-most-one" and recommended > 1:
        yield error(f"{path}.suggestions", "at-most-one", "at-most-one allows one recommended suggestion")
    for i, suggestion in enumerate(suggestions):
        where = f"{path}.suggestions[{i}]"
        if not isinstance(suggestion, dict):
            yield error(where, "suggestion-object", "a suggestion must be an object")
            continue
        if not isinstance(suggestion.get("label"), str):
            yield error(f"{where}.label", "suggestion-label", "suggestion.label is required")
        if card.get("uuid") is not None:
            yield from _uuid(suggestion, where, uuids, required=True)
        if "isRecommended" in suggestion and not isinstance(suggestion["isRecommended"], bool):
            yield error(f"{where}.isRecommended", "boolean", "isRecommended must be true or false")
        if "actions" in suggestion and not isinstance(suggestion["actions"], list):
            yield error(f"{where}.actions", "array", "actions must be an array")
        for j, action in enumerate(_list(suggestion, "actions")):
            yield from _action(action, f"{where}.actions[{j}]")


def _action(action: Any, path: str) -> Iterator[LintIssue]:
    """Yield the findings of one suggestion action."""
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        yield error(f"{path}.type", "action-type", "action type must be create, update or delete")
        return
    description = action.get("description")
    if not isinstance(description, str) or not description.strip():
        yield error(f"{path}.description", "action-description", "action.description is required")
    resource = action.get("resource")
    if action["type"] == "delete":
        target = action.get("resourceId")
        if not isinstance(target, str) or target.count("/") != 1:
            yield error(f"{path}.resourceId", "delete-target", "delete needs resourceId as 'Type/id'")
        if resource is not None:
            yield error(f"{path}.resource", "delete-target", "delete carries no resource")
    elif not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        yield error(f"{path}.resource", "action-resource", f"{action['type']} needs the whole resource")


def _link(link: Any, path: str) -> Iterator[LintIssue]:
    """Yield the findings of one link."""
    if not isinstance(link, dict):
        yield error(path, "link-object", "a link must be an object")
        return
    if not isinstance(link.get("label"), str):
        yield error(f"{path}.label", "link-label", "link.label is required")
    if not is_absolute_url(link.get("url")):
        yield error(f"{path}.url", "absolute-url", "link.url must be an absolute URL")
    if link.get("type") not in LINK_TYPES:
        yield error(f"{path}.type", "link-type", "link.type must be absolute or smart")
    if "appContext" in link and link.get("type") != "smart":
        yield error(f"{path}.appContext", "app-context", "appContext is only for smart links")


def _list(obj: JSON, key: str) -> list[Any]:
    """Return obj[key] when it is a list, else [] (a wrong type is reported by the caller)."""
    value = obj.get(key)
    return value if isinstance(value, list) else []
