"""CDS Hooks 2.0 data model: the spec's nouns, one to one, with their wire (JSON) forms.

Python attributes are snake_case; camelCase appears only in the `to_json` / `parse_*` edges.
Optional fields without a value are omitted from JSON, never written as null or empty
(CDS Hooks 2.0, "JSON in general").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]

Indicator = Literal["info", "warning", "critical"]
ActionType = Literal["create", "update", "delete"]
SelectionBehavior = Literal["at-most-one", "any"]
FeedbackOutcome = Literal["accepted", "overridden"]


def _compact(obj: Mapping[str, Any]) -> JSON:
    """Return `obj` without keys whose value is None or an empty str, list or dict."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != [] and v != {}}


@dataclass(frozen=True)
class Coding:
    """A FHIR Coding (system, code, display)."""

    system: str
    code: str
    display: str | None = None

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact({"system": self.system, "code": self.code, "display": self.display})


@dataclass(frozen=True)
class Source:
    """Card.source: who says this."""

    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact(
            {
                "label": self.label,
                "url": self.url,
                "icon": self.icon,
                "topic": self.topic.to_json() if self.topic else None,
            }
        )


@dataclass(frozen=True)
class Link:
    """Card.links entry."""

    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"
    app_context: str | None = None

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact(
            {"label": self.label, "url": self.url, "type": self.type, "appContext": self.app_context}
        )


@dataclass(frozen=True)
class Action:
    """Suggestion action: create/update carry a resource, delete carries a resourceId."""

    type: ActionType
    description: str
    resource: JSON | None = None
    resource_id: str | None = None

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact(
            {
                "type": self.type,
                "description": self.description,
                "resource": self.resource,
                "resourceId": self.resource_id,
            }
        )


@dataclass(frozen=True)
class Suggestion:
    """A one-click suggestion on a card."""

    label: str
    uuid: str
    actions: tuple[Action, ...] = ()
    is_recommended: bool | None = None

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact(
            {
                "label": self.label,
                "uuid": self.uuid,
                "isRecommended": self.is_recommended,
                "actions": [a.to_json() for a in self.actions],
            }
        )


@dataclass(frozen=True)
class OverrideReason:
    """A reason a clinician may give for overriding a card (a Coding with display)."""

    coding: Coding

    def to_json(self) -> JSON:
        """Return the wire form."""
        return self.coding.to_json()


@dataclass(frozen=True)
class Card:
    """A CDS Hooks card."""

    summary: str
    indicator: Indicator
    source: Source
    uuid: str | None = None
    detail: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: SelectionBehavior | None = None
    override_reasons: tuple[OverrideReason, ...] = ()
    links: tuple[Link, ...] = ()
    extension: JSON = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.summary) >= 140:
            raise ValueError("Card.summary must be under 140 characters")
        if self.suggestions and self.selection_behavior is None:
            raise ValueError("Card.selectionBehavior is required when suggestions are present")
        if self.selection_behavior == "at-most-one":
            if sum(1 for s in self.suggestions if s.is_recommended) > 1:
                raise ValueError("at-most-one allows at most one recommended suggestion")

    def to_json(self) -> JSON:
        """Return the wire form."""
        return _compact(
            {
                "uuid": self.uuid,
                "summary": self.summary,
                "detail": self.detail,
                "indicator": self.indicator,
                "source": self.source.to_json(),
                "suggestions": [s.to_json() for s in self.suggestions],
                "selectionBehavior": self.selection_behavior if self.suggestions else None,
                "overrideReasons": [r.to_json() for r in self.override_reasons],
                "links": [link.to_json() for link in self.links],
                "extension": self.extension,
            }
        )


@dataclass(frozen=True)
class CdsResponse:
    """The body of a service call's answer."""

    cards: tuple[Card, ...] = ()

    def to_json(self) -> JSON:
        """Return the wire form; `{"cards": []}` is the sanctioned empty answer."""
        return {"cards": [c.to_json() for c in self.cards]}


@dataclass(frozen=True)
class FhirAuthorization:
    """fhirAuthorization of a hook request. The token is never shown in repr."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


@dataclass(frozen=True)
class HookRequest:
    """A validated CDS Hooks service request."""

    hook: str
    hook_instance: str
    context: JSON
    fhir_server: str | None = None
    fhir_authorization: FhirAuthorization | None = None
    prefetch: JSON | None = None

    @property
    def patient_id(self) -> str:
        """Return context.patientId (required by every hook this product serves)."""
        return str(self.context["patientId"])


@dataclass(frozen=True)
class ServiceDefinition:
    """One entry of the discovery response."""

    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str] = field(default_factory=dict)
    usage_requirements: str | None = None
    version: str | None = None
    hook_version: str | None = None

    def to_json(self) -> JSON:
        """Return the wire form, prefetch keys in declared order."""
        return _compact(
            {
                "hook": self.hook,
                "id": self.id,
                "title": self.title,
                "description": self.description,
                "prefetch": dict(self.prefetch),
                "usageRequirements": self.usage_requirements,
                "version": self.version,
                "hookVersion": self.hook_version,
            }
        )


@dataclass(frozen=True)
class OverrideReasonFeedback:
    """feedback[].overrideReason: a reason Coding and/or a free-text comment."""

    reason: Coding | None = None
    user_comment: str | None = None


@dataclass(frozen=True)
class Feedback:
    """One validated feedback item about one card."""

    card: str
    outcome: FeedbackOutcome
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: OverrideReasonFeedback | None = None
    # Every reason given (some EHRs send several under `overrideReasons`); the first is `override_reason`.
    override_reasons: tuple[OverrideReasonFeedback, ...] = ()
