"""Parse and validate hook request and feedback bodies into models, naming the field at fault."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from cds_hooks.errors import HookMismatch, InvalidFeedback, InvalidRequest
from cds_hooks.models import (
    JSON,
    Coding,
    Feedback,
    FeedbackOutcome,
    FhirAuthorization,
    HookRequest,
    OverrideReasonFeedback,
)

# Required context fields per hook and their JSON type (CDS Hooks Library 1.0.1).
HOOK_CONTEXT: Mapping[str, Mapping[str, type]] = {
    "order-select": {"userId": str, "patientId": str, "selections": list, "draftOrders": dict},
    "order-sign": {"userId": str, "patientId": str, "draftOrders": dict},
    "patient-view": {"userId": str, "patientId": str},
}
OPTIONAL_CONTEXT: Mapping[str, type] = {"encounterId": str}

_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_TYPE_NAMES = {str: "a string", list: "an array", dict: "an object", int: "an integer"}


def _require(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """Return obj[key], raising InvalidRequest naming `where.key` if absent or of the wrong type."""
    path = f"{where}.{key}" if where else key
    if key not in obj or obj[key] is None:
        raise InvalidRequest(f"missing required field '{path}'", field=path)
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise InvalidRequest(f"field '{path}' must be {_TYPE_NAMES[kind]}", field=path)
    return value


def _optional(obj: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    """Return obj[key] or None, raising InvalidRequest if present with the wrong type."""
    if obj.get(key) is None:
        return None
    return _require(obj, key, kind, where)


def parse_hook_request(body: Any, expected_hook: str) -> HookRequest:
    """Return the validated HookRequest for a service registered on `expected_hook`."""
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object", field="$")
    hook = _require(body, "hook", str, "")
    if hook != expected_hook:
        raise HookMismatch(f"this service answers '{expected_hook}', not '{hook}'", field="hook")
    hook_instance = _require(body, "hookInstance", str, "")
    try:
        uuid.UUID(hook_instance)
    except ValueError as exc:
        raise InvalidRequest("field 'hookInstance' must be a UUID", field="hookInstance") from exc
    context = _parse_context(_require(body, "context", dict, ""), hook)
    fhir_server = _optional(body, "fhirServer", str, "")
    auth = _parse_authorization(body)
    if auth is not None and fhir_server is None:
        raise InvalidRequest("'fhirServer' is required with 'fhirAuthorization'", field="fhirServer")
    prefetch = _optional(body, "prefetch", dict, "")
    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        context=context,
        fhir_server=fhir_server.rstrip("/") if fhir_server else None,
        fhir_authorization=auth,
        prefetch=prefetch,
    )


def _parse_context(context: JSON, hook: str) -> JSON:
    """Return the context after checking the hook's required fields and their types."""
    for key, kind in HOOK_CONTEXT.get(hook, {}).items():
        _require(context, key, kind, "context")
    for key, kind in OPTIONAL_CONTEXT.items():
        _optional(context, key, kind, "context")
    if not _ID.match(context.get("patientId", "")) and hook in HOOK_CONTEXT:
        raise InvalidRequest("field 'context.patientId' must be a FHIR id", field="context.patientId")
    if "draftOrders" in HOOK_CONTEXT.get(hook, {}):
        _check_draft_orders(context["draftOrders"])
    if "selections" in HOOK_CONTEXT.get(hook, {}):
        _check_selections(context["selections"])
    return context


def _check_draft_orders(bundle: JSON) -> None:
    """Raise unless draftOrders is a Bundle whose entries hold resources (read leniently otherwise)."""
    if bundle.get("resourceType") != "Bundle":
        raise InvalidRequest("field 'context.draftOrders' must be a FHIR Bundle", field="context.draftOrders")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidRequest(
            "field 'context.draftOrders.entry' must be an array", field="context.draftOrders.entry"
        )
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            path = f"context.draftOrders.entry[{i}].resource"
            raise InvalidRequest(f"field '{path}' must be a FHIR resource", field=path)


def _check_selections(selections: list[Any]) -> None:
    """Raise unless every selection is a 'Type/id' string."""
    for i, item in enumerate(selections):
        if not isinstance(item, str) or not _REFERENCE.match(item):
            path = f"context.selections[{i}]"
            raise InvalidRequest(f"field '{path}' must be a 'Type/id' reference", field=path)


def _parse_authorization(body: JSON) -> FhirAuthorization | None:
    """Return fhirAuthorization as a model, or None when absent."""
    raw = _optional(body, "fhirAuthorization", dict, "")
    if raw is None:
        return None
    where = "fhirAuthorization"
    token_type = _require(raw, "token_type", str, where)
    if token_type.lower() != "bearer":
        raise InvalidRequest(
            "field 'fhirAuthorization.token_type' must be 'Bearer'", field=f"{where}.token_type"
        )
    return FhirAuthorization(
        access_token=_require(raw, "access_token", str, where),
        token_type=token_type,
        expires_in=_require(raw, "expires_in", int, where),
        scope=_require(raw, "scope", str, where),
        subject=_require(raw, "subject", str, where),
        patient=_optional(raw, "patient", str, where),
    )


def parse_feedback(body: Any) -> list[Feedback]:
    """Return the validated feedback items of a feedback body."""
    if not isinstance(body, dict):
        raise InvalidFeedback("request body must be a JSON object", field="$")
    items = body.get("feedback")
    if not isinstance(items, list) or not items:
        raise InvalidFeedback("field 'feedback' must be a non-empty array", field="feedback")
    return [_parse_feedback_item(item, f"feedback[{i}]") for i, item in enumerate(items)]


# Longest accepted feedback values (the store's columns are sized to match).
FEEDBACK_LIMITS = {
    "card": 128,
    "outcomeTimestamp": 64,
    "system": 256,
    "code": 128,
    "display": 512,
    "userComment": 10_000,
    "id": 128,
}


def _check_length(value: str | None, name: str, path: str) -> None:
    """Raise InvalidFeedback when a feedback string is longer than its limit."""
    if value is not None and len(value) > FEEDBACK_LIMITS[name]:
        raise InvalidFeedback(f"field '{path}' is longer than {FEEDBACK_LIMITS[name]} characters", field=path)


def _parse_feedback_item(item: Any, where: str) -> Feedback:
    """Return one validated feedback item."""
    if not isinstance(item, dict):
        raise InvalidFeedback(f"field '{where}' must be an object", field=where)
    try:
        card = _require(item, "card", str, where)
        outcome = _require(item, "outcome", str, where)
        timestamp = _require(item, "outcomeTimestamp", str, where)
    except InvalidRequest as exc:
        raise InvalidFeedback(exc.message, field=exc.field) from exc
    _check_length(card, "card", f"{where}.card")
    _check_length(timestamp, "outcomeTimestamp", f"{where}.outcomeTimestamp")
    if outcome not in ("accepted", "overridden"):
        raise InvalidFeedback(
            f"field '{where}.outcome' must be 'accepted' or 'overridden'", field=f"{where}.outcome"
        )
    _check_timestamp(timestamp, f"{where}.outcomeTimestamp")
    accepted = _parse_accepted(item.get("acceptedSuggestions"), outcome, where)
    reasons = _parse_override_reasons(item, where)
    return Feedback(
        card=card,
        outcome=cast(FeedbackOutcome, outcome),
        outcome_timestamp=timestamp,
        accepted_suggestions=accepted,
        override_reason=reasons[0] if reasons else None,
        override_reasons=reasons,
    )


def _parse_override_reasons(item: dict[str, Any], where: str) -> tuple[OverrideReasonFeedback, ...]:
    """Return every override reason of a feedback item, from `overrideReason` and/or `overrideReasons`.

    The spec's key is `overrideReason` (one object); Epic sends an object of the same shape under the
    plural `overrideReasons`; either key may hold one object or a list of them. Duplicates count once.
    """
    reasons: list[OverrideReasonFeedback] = []
    for key in ("overrideReason", "overrideReasons"):
        raw = item.get(key)
        entries = raw if isinstance(raw, list) else [raw]
        for i, entry in enumerate(entries):
            path = f"{where}.{key}[{i}]" if isinstance(raw, list) else f"{where}.{key}"
            reason = _parse_override_reason(entry, path)
            if reason is not None and (reason.reason or reason.user_comment) and reason not in reasons:
                reasons.append(reason)
    return tuple(reasons)


def _check_timestamp(value: str, path: str) -> None:
    """Raise unless `value` is an ISO 8601 date-time with a time zone."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidFeedback(f"field '{path}' must be an ISO 8601 date-time", field=path) from exc
    if parsed.tzinfo is None:
        raise InvalidFeedback(f"field '{path}' must carry a time zone (UTC)", field=path)


def _parse_accepted(raw: Any, outcome: str, where: str) -> tuple[str, ...]:
    """Return accepted suggestion ids; required (non-empty) when the outcome is accepted."""
    path = f"{where}.acceptedSuggestions"
    if raw is None:
        if outcome == "accepted":
            raise InvalidFeedback(f"field '{path}' is required when outcome is 'accepted'", field=path)
        return ()
    if not isinstance(raw, list) or (outcome == "accepted" and not raw):
        raise InvalidFeedback(f"field '{path}' must be a non-empty array", field=path)
    ids = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise InvalidFeedback(f"field '{path}[{i}].id' must be a string", field=f"{path}[{i}].id")
        _check_length(entry["id"], "id", f"{path}[{i}].id")
        ids.append(entry["id"])
    return tuple(ids)


def _parse_override_reason(raw: Any, path: str) -> OverrideReasonFeedback | None:
    """Return the override reason, or None when absent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidFeedback(f"field '{path}' must be an object", field=path)
    reason = raw.get("reason")
    coding = None
    if reason is not None:
        if not isinstance(reason, dict) or not isinstance(reason.get("code"), str):
            raise InvalidFeedback(f"field '{path}.reason' must be a Coding", field=f"{path}.reason")
        for key in ("system", "code", "display"):
            value = reason.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidFeedback(
                    f"field '{path}.reason.{key}' must be a string", field=f"{path}.reason.{key}"
                )
            _check_length(value, key, f"{path}.reason.{key}")
        coding = Coding(system=reason.get("system") or "", code=reason["code"], display=reason.get("display"))
    comment = raw.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidFeedback(f"field '{path}.userComment' must be a string", field=f"{path}.userComment")
    _check_length(comment, "userComment", f"{path}.userComment")
    return OverrideReasonFeedback(reason=coding, user_comment=comment)
