"""Shaping by profile, each expectation stated by hand."""

from __future__ import annotations

import uuid
from dataclasses import replace

from cds_hooks.models import Action, Card, CdsResponse, Coding, Link, Source, Suggestion
from cds_hooks.profiles import GENERIC, build_client_profile, build_static_topic_code, shape_response
from tests.profiles.support import counter_uuid

DOI = Link("SIMON2013", "https://doi.org/10.1212/01.wnl.0000437301.28441.7e")
APP = Link("Open the review app", "https://apps.example.org/ivig/launch", "smart", app_context="order=1")
EXTENSION = {"org.ivig-cds.assessment": {"outcome": "not-supported"}}


def cancel_card() -> Card:
    actions = (
        Action("delete", "Cancel the draft IVIg order", resource_id="MedicationRequest/ivig-1"),
        Action("delete", "Cancel the draft IVIg order", resource_id="MedicationRequest/ivig-2"),
    )
    return Card(
        uuid="00000000-0000-4000-8000-000000000001",
        summary="IVIg not supported",
        indicator="warning",
        source=Source("ivig-cds", topic=Coding("urn:local", "not-supported", "IVIg not supported")),
        suggestions=(Suggestion("Cancel the IVIg order", "00000000-0000-4000-8000-000000000002", actions),),
        selection_behavior="at-most-one",
        links=(DOI, APP),
        extension=EXTENSION,
    )


def shaped(name: str, *allow: str) -> Card:
    client = build_client_profile(name, tuple(allow))
    (card,) = shape_response(CdsResponse((cancel_card(),)), client, lambda: str(uuid.uuid4())).cards
    return card


def test_generic_changes_nothing() -> None:
    response = CdsResponse((cancel_card(),))
    assert shape_response(response, GENERIC, counter_uuid()) == response
    assert shaped("sandbox") == cancel_card()
    assert shaped("athena") == cancel_card()


def test_epic_one_suggestion_per_cancelled_order() -> None:
    card = shaped("epic")
    assert card.selection_behavior == "any"
    assert [s.label for s in card.suggestions] == [
        "Cancel the IVIg order (MedicationRequest/ivig-1)",
        "Cancel the IVIg order (MedicationRequest/ivig-2)",
    ]
    assert [len(s.actions) for s in card.suggestions] == [1, 1]
    assert [s.actions[0].resource_id for s in card.suggestions] == [
        "MedicationRequest/ivig-1",
        "MedicationRequest/ivig-2",
    ]
    assert (
        card.suggestions[0].actions[0].description == "Cancel the draft IVIg order (MedicationRequest/ivig-1)"
    )
    assert card.suggestions[0].uuid == "00000000-0000-4000-8000-000000000002"  # feedback on it still maps
    assert card.suggestions[1].uuid not in {card.uuid, card.suggestions[0].uuid}


def test_epic_static_topic_and_the_assessment_stays() -> None:
    card = shaped("epic")
    assert card.source.topic == Coding("urn:local", "NotSupported", "IVIg not supported")
    assert card.extension == EXTENSION
    assert card.uuid == cancel_card().uuid
    assert (card.summary, card.detail, card.indicator) == (cancel_card().summary, None, "warning")


def test_static_topic_codes() -> None:
    assert build_static_topic_code("trial-reasonable") == "TrialReasonable"
    assert build_static_topic_code("response-unknown") == "ResponseUnknown"
    assert build_static_topic_code("x" * 150) == "X" + "x" * 99
    assert build_static_topic_code("--") == "Card"


def test_epic_smart_links_only_when_allow_listed() -> None:
    assert shaped("epic").links == (DOI,)
    assert shaped("epic", "https://apps.example.org/ivig").links == (DOI, APP)
    assert shaped("epic", "https://apps.example.org/iv").links == (DOI,)  # a prefix is a path, not text


def test_oracle_links_only_when_registered_and_never_app_context() -> None:
    assert shaped("oracle").links == ()
    assert shaped("oracle", "https://doi.org").links == (DOI,)
    both = shaped("oracle", "https://doi.org", "https://apps.example.org")
    assert both.links == (DOI, replace(APP, app_context=None))
    assert both.suggestions == cancel_card().suggestions


def test_app_context_dropped_from_absolute_links_everywhere() -> None:
    card = replace(cancel_card(), links=(Link("x", "https://example.org/a", "absolute", app_context="y"),))
    (out,) = shape_response(CdsResponse((card,)), GENERIC, counter_uuid()).cards
    assert out.links == (Link("x", "https://example.org/a"),)


def test_empty_action_description_gets_the_label() -> None:
    suggestion = Suggestion(
        "Order creatine kinase",
        "00000000-0000-4000-8000-000000000009",
        (Action("create", " ", resource={"resourceType": "ServiceRequest"}),),
    )
    card = replace(cancel_card(), suggestions=(suggestion,))
    (out,) = shape_response(CdsResponse((card,)), GENERIC, counter_uuid()).cards
    assert out.suggestions[0].actions[0].description == "Order creatine kinase"
