"""What a CDS service is to the framework, and the registry that drives discovery and dispatch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from cds_hooks.chart import Chart
from cds_hooks.errors import UnknownService
from cds_hooks.models import CdsResponse, HookRequest, ServiceDefinition

PrefetchMode = Literal["full", "lean"]


@dataclass(frozen=True)
class Environment:
    """What a decision may depend on besides the request and chart: the date and a uuid factory."""

    as_of: date
    new_uuid: Callable[[], str]


class CdsService(Protocol):
    """A CDS service: its discovery entry, the queries it may read, and its decision."""

    @property
    def definition(self) -> ServiceDefinition:
        """Return the discovery entry, with the full prefetch templates."""
        ...

    def evaluate(self, request: HookRequest, chart: Chart, env: Environment) -> CdsResponse:
        """Return the cards for this hook call, reading only the chart keys the decision needs."""
        ...


class ServiceRegistry:
    """The one list of services: discovery is generated from it and calls are dispatched through it."""

    def __init__(self, services: Iterable[CdsService]) -> None:
        self._services: dict[str, CdsService] = {}
        for service in services:
            sid = service.definition.id
            if sid in self._services:
                raise ValueError(f"duplicate service id '{sid}'")
            self._services[sid] = service

    def get(self, service_id: str) -> CdsService:
        """Return the service registered under `service_id`, or raise UnknownService."""
        try:
            return self._services[service_id]
        except KeyError:
            raise UnknownService(f"no CDS service with id '{service_id}'") from None

    def ids(self) -> list[str]:
        """Return the registered ids in registration order."""
        return list(self._services)

    def discovery(self, mode: PrefetchMode = "full") -> dict[str, list[dict[str, object]]]:
        """Return the discovery document; in 'lean' mode no prefetch is requested."""
        entries = []
        for service in self._services.values():
            entry = service.definition.to_json()
            if mode == "lean":
                entry.pop("prefetch", None)
            entries.append(entry)
        return {"services": entries}

    def queries(self, service_id: str) -> Mapping[str, str]:
        """Return the query templates one service may read: its `queries` when it has them, else its prefetch.

        A service whose discovery asks for less than it may read (patient-view asks for one cheap query)
        declares the rest in a `queries` mapping.
        """
        service = self.get(service_id)
        queries = getattr(service, "queries", None)
        return queries if isinstance(queries, Mapping) else service.definition.prefetch
