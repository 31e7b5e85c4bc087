"""The core's seams: bindings, the order-hook context, the upper-limit verdict, the criterion ids."""

from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.ivig import fhir_read
from cds_hooks.ivig.criterion_ids import TITLES, CriterionId
from cds_hooks.ivig.facts import Evidence, LabResult
from cds_hooks.ivig.limits import evaluate_upper_limit
from cds_hooks.ivig.order_context import parse_order_context
from cds_hooks.ivig.rules_model import Code, Codes
from fixtures.fhir_builders import INTERPRETATION, cc, collection, ivig_order

EV = Evidence("Observation/x", date(2026, 1, 1), "x")


def test_binding_membership_is_precomputed_and_order_keeping() -> None:
    binding = Codes([Code("s", "b"), Code("s", "a"), Code("s", "b")])
    assert [c.code for c in binding] == ["b", "a"]
    assert binding.pairs == frozenset({("s", "a"), ("s", "b")})
    assert Code("s", "a") in binding and Code("t", "a") not in binding
    assert binding.holds_any([("x", "y"), ("s", "a")]) and not binding.holds_any([("s", "c")])
    assert [c.code for c in binding + Codes([Code("s", "c")])] == ["b", "a", "c"]
    assert fhir_read.has_code(cc("s", "a"), binding) and not fhir_read.has_code(cc("t", "a"), binding)


def test_fhir_reader_keeps_no_module_level_cache() -> None:
    assert not [
        n
        for n, v in vars(fhir_read).items()
        if isinstance(v, dict | list | set) and n.startswith("_") and not n.startswith("__")
    ]


@pytest.mark.parametrize(
    ("value", "high", "interpretation", "expected"),
    [
        (100.0, 90.0, (), (True, 90.0, "reference range")),
        (100.0, 100.0, (), (False, 100.0, "reference range")),
        (100.0, None, (("H",)), (True, None, "interpreted high")),
        (100.0, None, (("N",)), (False, None, "interpreted normal")),
        (100.0, None, (), (False, 192.0, "default")),
        (193.0, None, (), (True, 192.0, "default")),
    ],
)
def test_upper_limit_verdict(rules, value, high, interpretation, expected) -> None:
    result = LabResult(value, high, frozenset((INTERPRETATION, c) for c in interpretation), EV)
    verdict = evaluate_upper_limit(result, 192.0, "default", rules)
    assert verdict is not None and (verdict.above, verdict.limit, verdict.basis) == expected


def test_upper_limit_unknown_without_value(rules) -> None:
    assert evaluate_upper_limit(LabResult(None, 10.0, frozenset(), EV), 1.0, "d", rules) is None


def test_order_context_parsed_once() -> None:
    a, b = ivig_order("a"), ivig_order("b")
    wire = {"patientId": "p1", "userId": "Practitioner/1", "draftOrders": collection([a, b])}
    sign = parse_order_context(wire, "order-sign")
    assert sign.patient_id == "p1" and sign.user_id == "Practitioner/1"
    assert [o["id"] for o in sign.orders_in_question()] == ["a", "b"]
    select = parse_order_context({**wire, "selections": ["MedicationRequest/b"]}, "order-select")
    assert [o["id"] for o in select.orders_in_question()] == ["b"]


def test_every_criterion_has_a_title() -> None:
    assert set(TITLES) == set(CriterionId)
    assert CriterionId.T_CK == "T-CK"


def test_the_ivig_core_keeps_no_module_level_mutable_container() -> None:
    import importlib
    import pkgutil

    import cds_hooks.ivig as ivig

    found = []
    for info in pkgutil.iter_modules(ivig.__path__, "cds_hooks.ivig."):
        module = importlib.import_module(info.name)
        found += [
            f"{info.name}.{name}"
            for name, value in vars(module).items()
            if not name.startswith("__") and type(value) in (dict, list, set)
        ]
    assert found == []  # lookup tables are MappingProxyType, tuples or frozensets
