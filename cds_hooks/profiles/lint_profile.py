"""Lint a response body against one client's profile, and `lint_response`: CDS Hooks 2.0 plus profile."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cds_hooks.models import JSON
from cds_hooks.profiles.lint import LintIssue, error, lint_spec
from cds_hooks.profiles.model import TOPIC_CODE_MAX, ClientProfile

_ALNUM = re.compile(r"^[A-Za-z0-9]+$")


def lint_response(body: Any, client: ClientProfile, hook: str | None = None) -> list[LintIssue]:
    """Return every finding of a response body: the CDS Hooks 2.0 rules, then the profile's."""
    issues = lint_spec(body)
    if isinstance(body, dict) and isinstance(body.get("cards"), list):
        issues.extend(lint_profile(body, client, hook))
    return issues


def lint_profile(body: JSON, client: ClientProfile, hook: str | None = None) -> list[LintIssue]:
    """Return the findings of the profile's own rules for a (2.0-shaped) response body."""
    profile = client.profile
    issues: list[LintIssue] = []
    if hook is not None and profile.hooks is not None and hook not in profile.hooks and body["cards"]:
        issues.append(error("$", f"{profile.name}-hook", f"{profile.title} is not known to call '{hook}'"))
    for i, card in enumerate(body["cards"]):
        if isinstance(card, dict):
            issues.extend(_card(card, f"$.cards[{i}]", client))
    return issues


def _card(card: JSON, path: str, client: ClientProfile) -> Iterator[LintIssue]:
    """Yield the profile findings of one card."""
    profile = client.profile
    rule = profile.name
    suggestions = [s for s in card.get("suggestions") or [] if isinstance(s, dict)]
    forced = profile.selection_behavior
    if suggestions and forced is not None and card.get("selectionBehavior") != forced:
        yield error(f"{path}.selectionBehavior", f"{rule}-selection", f"{profile.title} needs '{forced}'")
    if profile.one_action_per_suggestion:
        for i, suggestion in enumerate(suggestions):
            if len(suggestion.get("actions") or []) > 1:
                yield error(
                    f"{path}.suggestions[{i}].actions", f"{rule}-one-action", "one action per suggestion"
                )
    if profile.static_topic_codes:
        yield from _topic(card, path, rule)
    for i, link in enumerate(card.get("links") or []):
        if not isinstance(link, dict):
            continue
        where = f"{path}.links[{i}]"
        if not client.allows_link(str(link.get("url")), str(link.get("type", "absolute"))):
            yield error(where, f"{rule}-link-allowlist", "link not on the client's allow-list")
        if "appContext" in link and not profile.app_context:
            yield error(f"{where}.appContext", f"{rule}-app-context", f"{profile.title} takes no appContext")


def _topic(card: JSON, path: str, rule: str) -> Iterator[LintIssue]:
    """Yield findings unless source.topic.code is alphanumeric and at most 100 characters."""
    source = card.get("source")
    topic = source.get("topic") if isinstance(source, dict) else None
    code = topic.get("code") if isinstance(topic, dict) else None
    if not isinstance(code, str):
        yield error(f"{path}.source.topic", f"{rule}-topic", "a static source.topic.code is required")
    elif not _ALNUM.match(code) or len(code) > TOPIC_CODE_MAX:
        yield error(
            f"{path}.source.topic.code", f"{rule}-topic", "topic code must be alphanumeric, <= 100 characters"
        )
