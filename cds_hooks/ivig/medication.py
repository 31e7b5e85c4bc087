"""Is a medication IVIg? Binding match on codes and NDC product segments (docs/clinical-logic.md).

NDC: a configured product code "labeler-product" (e.g. "44206-439") matches any package NDC whose
first two hyphen-separated parts equal it after dropping leading zeros from each part, so
"44206-0439-10", "44206-439-10" and "44206-439" all match "44206-439". An 11-digit NDC without
hyphens is read in the 5-4-2 layout. Matching is numeric per segment because labelers differ in
how they pad (4-4-2, 5-3-2, 5-4-1 layouts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cds_hooks.ivig.fhir_read import codings, dicts, has_code, reference_target
from cds_hooks.ivig.rules_model import Rules
from cds_hooks.models import JSON

Resolver = Callable[[str, JSON], JSON | None]


def ndc_product_key(ndc: str) -> tuple[int, int] | None:
    """Return (labeler, product) as numbers from a product or package NDC, or None if malformed."""
    text = ndc.strip()
    parts = text.split("-")
    if len(parts) == 1 and len(text) == 11 and text.isdigit():
        parts = [text[:5], text[5:9], text[9:]]
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


def is_ivig_concept(concept: Any, rules: Rules) -> bool:
    """Return whether a CodeableConcept codes IVIg (ATC/RxNorm binding or an NDC product)."""
    binding = rules.medication
    if has_code(concept, binding.codes):
        return True
    products = {ndc_product_key(p) for p in binding.ndc_products} - {None}
    return any(
        c.system == binding.ndc_system and ndc_product_key(c.code) in products for c in codings(concept)
    )


def medication_reference(order: JSON) -> str | None:
    """Return the medicationReference of an order or administration, if any."""
    return reference_target(order.get("medicationReference"))


def is_ivig_order(order: JSON, rules: Rules, resolve: Resolver) -> bool | None:
    """Return whether an order is for IVIg; None when its Medication cannot be resolved."""
    concept = order.get("medicationCodeableConcept")
    if concept is not None:
        return is_ivig_concept(concept, rules)
    ref = medication_reference(order)
    if ref is None:
        return False
    medication = resolve(ref, order)
    if medication is None:
        return None
    return is_ivig_concept(medication.get("code"), rules)


def is_subcutaneous(order: JSON, rules: Rules) -> bool:
    """Return whether any dosage instruction's route is a subcutaneous route of the binding."""
    routes = [d.get("route") for d in dicts(order.get("dosageInstruction"))]
    return any(has_code(route, rules.medication.subcutaneous_routes) for route in routes)
