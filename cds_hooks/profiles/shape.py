"""Shape a built CdsResponse to one client's profile: a pure post-processing of the cards.

Nothing clinical changes: the outcome, the detail, the machine-readable extension and the card
uuids stay; only the form the client is documented to need is adjusted (selection behaviour, one
action per suggestion, action descriptions, static topic codes, links, appContext).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from cds_hooks.models import Action, Card, CdsResponse, Coding, Link, Source, Suggestion
from cds_hooks.profiles.model import TOPIC_CODE_MAX, ClientProfile

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def shape_response(response: CdsResponse, client: ClientProfile, new_uuid: Callable[[], str]) -> CdsResponse:
    """Return the response as the client receives it (new suggestion uuids come from `new_uuid`)."""
    return CdsResponse(tuple(shape_card(card, client, new_uuid) for card in response.cards))


def shape_card(card: Card, client: ClientProfile, new_uuid: Callable[[], str]) -> Card:
    """Return one card shaped to the client's profile."""
    profile = client.profile
    suggestions = tuple(_describe(s) for s in card.suggestions)
    if profile.one_action_per_suggestion:
        forced_any = profile.selection_behavior == "any"
        suggestions = tuple(s for sug in suggestions for s in split_suggestion(sug, new_uuid, forced_any))
    behavior = card.selection_behavior
    if suggestions and profile.selection_behavior is not None:
        behavior = profile.selection_behavior
    if suggestions and behavior == "at-most-one" and sum(1 for s in suggestions if s.is_recommended) > 1:
        behavior = "any"
    return replace(
        card,
        source=_shape_source(card.source, client),
        suggestions=suggestions,
        selection_behavior=behavior if suggestions else None,
        links=tuple(
            _shape_link(link, client) for link in card.links if client.allows_link(link.url, link.type)
        ),
    )


def split_suggestion(
    suggestion: Suggestion, new_uuid: Callable[[], str], keep_recommended: bool
) -> list[Suggestion]:
    """Return one suggestion per action; the first keeps the original uuid, each names its target."""
    actions = suggestion.actions
    if len(actions) <= 1:
        return [suggestion]
    split = []
    for index, action in enumerate(actions):
        target = action.resource_id or _resource_label(action)
        description = f"{action.description} ({target})" if target else action.description
        split.append(
            Suggestion(
                label=f"{suggestion.label} ({target})" if target else f"{suggestion.label} ({index + 1})",
                uuid=suggestion.uuid if index == 0 else new_uuid(),
                actions=(replace(action, description=description),),
                is_recommended=suggestion.is_recommended if (keep_recommended or index == 0) else None,
            )
        )
    return split


def build_static_topic_code(code: str) -> str:
    """Return an alphanumeric code (at most 100 characters) that stands for `code`, always the same one."""
    parts = [p for p in _NON_ALNUM.split(code) if p]
    camel = "".join(p[:1].upper() + p[1:] for p in parts)
    return camel[:TOPIC_CODE_MAX] or "Card"


def _describe(suggestion: Suggestion) -> Suggestion:
    """Return the suggestion with every action described (the label stands in for an empty description)."""
    actions = tuple(
        a if a.description.strip() else replace(a, description=suggestion.label) for a in suggestion.actions
    )
    return replace(suggestion, actions=actions)


def _resource_label(action: Action) -> str | None:
    """Return the created/updated resource's 'Type/id', or its code text, to tell split actions apart."""
    resource = action.resource or {}
    if resource.get("id"):
        return f"{resource.get('resourceType')}/{resource['id']}"
    code = resource.get("code")
    text = code.get("text") if isinstance(code, dict) else None
    return text if isinstance(text, str) and text else None


def _shape_source(source: Source, client: ClientProfile) -> Source:
    """Return the source with a static alphanumeric topic code when the profile needs one."""
    topic = source.topic
    if topic is None or not client.profile.static_topic_codes:
        return source
    return replace(source, topic=Coding(topic.system, build_static_topic_code(topic.code), topic.display))


def _shape_link(link: Link, client: ClientProfile) -> Link:
    """Return the link without appContext where the spec or the profile does not allow it."""
    if link.app_context is None:
        return link
    if link.type != "smart" or not client.profile.app_context:
        return replace(link, app_context=None)
    return link
