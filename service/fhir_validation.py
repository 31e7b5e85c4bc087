"""FHIR R4B validation with the fhir.resources models: a resource or reference is valid, or the first
invalid element is named (`Bundle.entry[3].resource(Observation/ck-1).valueQuantity.value: ...`).

Used by `ivig-cds evaluate --strict` on its input, and by the tests on every resource the service emits.
The message names elements and resource ids, never the offending value (it may be patient data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

# A FHIR reference to a resource: optional absolute base, Type/id, optional _history/version (FHIR id rules).
_REFERENCE = re.compile(
    r"^(?:https?://\S+/)?(?P<type>[A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)


class InvalidResource(ValueError):
    """A resource that does not validate against FHIR R4B; `element` is the first invalid element."""

    def __init__(self, element: str, problem: str) -> None:
        super().__init__(f"{element}: {problem}")
        self.element = element
        self.problem = problem


def validate_resource(resource: Mapping[str, Any]) -> None:
    """Return when `resource` is a valid FHIR R4B resource; else raise InvalidResource naming the element."""
    resource_type = resource.get("resourceType")
    model = _resource_model(resource_type)
    if model is None:
        raise InvalidResource("resourceType", f"{resource_type!r} is not an R4B resource type")
    unknown = _find_unknown_resource_type(resource, str(resource_type))
    if unknown is not None:
        raise InvalidResource(unknown, "not an R4B resource type")
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidResource(build_element_path(resource, first["loc"]), first["msg"]) from None
    except (KeyError, TypeError, AttributeError) as exc:  # the models' own failures on odd shapes
        raise InvalidResource(str(resource_type), f"does not validate ({exc.__class__.__name__})") from None


def validate_reference(reference: str) -> None:
    """Return when `reference` is a literal reference to an R4B resource type; else raise InvalidResource."""
    match = _REFERENCE.match(reference)
    if match is None or _resource_model(match["type"]) is None:
        raise InvalidResource("Reference.reference", "not a reference to an R4B resource (Type/id)")
    Reference.model_validate({"reference": reference})


def build_element_path(resource: Mapping[str, Any], loc: Sequence[int | str]) -> str:
    """Return a FHIRPath-like name of the element at pydantic location `loc` in `resource`."""
    path = str(resource.get("resourceType", "Resource"))
    node: Any = resource
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(node, Mapping) and part not in node and _resource_model(part) is not None:
            continue  # pydantic's tag of a contained resource's type, not an element
        else:
            path += f".{part}"
        node = _step(node, part)
        if (
            isinstance(node, Mapping)
            and isinstance(node.get("resourceType"), str)
            and path.endswith("resource")
        ):
            path += f"({node['resourceType']}/{node.get('id', '?')})"
    return path


def _find_unknown_resource_type(node: Any, path: str) -> str | None:
    """Return the path of the first nested `resourceType` that is not an R4B resource type, or None."""
    if isinstance(node, Mapping):
        if "resourceType" in node and _resource_model(node["resourceType"]) is None:
            return f"{path}.resourceType"
        children: Any = ((f"{path}.{key}", value) for key, value in node.items() if key != "resourceType")
    elif isinstance(node, list):
        children = ((f"{path}[{i}]", value) for i, value in enumerate(node))
    else:
        return None
    for child_path, child in children:
        found = _find_unknown_resource_type(child, child_path)
        if found is not None:
            return found
    return None


def _step(node: Any, part: int | str) -> Any:
    """Return the child of `node` at `part`, or None when the input has no such child."""
    if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
        return node[part]
    if isinstance(part, str) and isinstance(node, Mapping):
        return node.get(part)
    return None


def _resource_model(name: object) -> type[Resource] | None:
    """Return the R4B model class of a resource type name, or None when it is not one."""
    if not isinstance(name, str) or not name[:1].isupper():
        return None
    try:
        model = get_fhir_model_class(name)
    except ValueError:
        return None
    return model if issubclass(model, Resource) else None
