"""The `Chart` of one hook call: prefetch first, else the EHR's FHIR server, concurrently, within a budget.

Prefetch failure policy (named, as HAPI's CDS Hooks module names it): a key that is present is used;
`null` means no data and is never fetched; a missing key or an OperationOutcome is read from
`fhirServer`. A read that fails (timeout, unreachable, error status, garbage) degrades that key to
`Unavailable`, which the decision reports as unknown; when nothing at all could be obtained for the
keys the decision needs (no `fhirServer`, or every read failed), the call fails with 412.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cds_hooks.chart import ChartValue, Unavailable, bundle_resources
from cds_hooks.errors import DataUnavailable
from cds_hooks.models import JSON, HookRequest
from cds_hooks.prefetch import PrefetchState, classify_prefetch, is_fhirpath_template, render_template
from service.fhir_client import Deadline, FhirClient, FhirError
from service.metrics import FHIR_ERRORS, FHIR_READS
from service.read_pool import ReadPool

_BUDGET_EXHAUSTED = "FHIR server did not answer within the time budget"


@dataclass
class ReadStats:
    """What one hook call read from the FHIR server, for logs and metrics (no identifiers)."""

    reads: int = 0
    failures: list[str] = field(default_factory=list)
    from_prefetch: int = 0


class RequestChart:
    """A `Chart` over one hook request's prefetch and (when given) its FHIR server."""

    def __init__(
        self,
        request: HookRequest,
        queries: Mapping[str, str],
        client: FhirClient | None,
        deadline: Deadline,
        pool: ReadPool,
        stats: ReadStats | None = None,
    ) -> None:
        self._request = request
        self._queries = queries
        self._client = client
        self._deadline = deadline
        self._pool = pool
        self.stats = stats if stats is not None else ReadStats()

    def get(self, keys: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return each key's value from prefetch, else read concurrently from the FHIR server."""
        values: dict[str, ChartValue] = {}
        to_fetch: dict[str, str] = {}
        for key in keys:
            state = classify_prefetch(self._request.prefetch, key)
            if state is PrefetchState.PRESENT:
                values[key] = (self._request.prefetch or {})[key]
                self.stats.from_prefetch += 1
            elif state is PrefetchState.NO_DATA:
                values[key] = None
            else:
                to_fetch[key] = render_template(self._queries[key], self._request.context)
        if to_fetch:
            fetched = self._fetch_all(to_fetch, what="prefetch")
            if len(values) == 0 and all(isinstance(v, Unavailable) for v in fetched.values()):
                reason = next(iter(fetched.values()))
                assert isinstance(reason, Unavailable)
                raise DataUnavailable(f"the patient's record could not be obtained: {reason.reason}")
            values.update(fetched)
        return {key: values[key] for key in keys}

    def read(self, references: Sequence[str]) -> Mapping[str, ChartValue]:
        """Return each referenced resource: from a FHIRPath-token prefetch answer, else the FHIR server."""
        prefetched = self._prefetched_resources()
        found: dict[str, ChartValue] = {
            r: prefetched[r] for r in dict.fromkeys(references) if r in prefetched
        }
        self.stats.from_prefetch += len(found)
        refs = {ref: ref for ref in dict.fromkeys(references) if ref not in found}
        return {**found, **self._fetch_all(refs, what="reference")} if refs else found

    def _prefetched_resources(self) -> dict[str, JSON]:
        """Return by 'Type/id' the resources of present prefetch keys whose template is a FHIRPath token.

        Such keys (e.g. the draft orders' Medications) answer reference reads; a client that left one
        unfilled, or sent an OperationOutcome, gets the same resources read one by one instead.
        """
        prefetch = self._request.prefetch or {}
        found: dict[str, JSON] = {}
        for key, template in self._queries.items():
            if is_fhirpath_template(template) and classify_prefetch(prefetch, key) is PrefetchState.PRESENT:
                for resource in bundle_resources(prefetch[key]):
                    if isinstance(resource.get("id"), str):
                        found.setdefault(f"{resource['resourceType']}/{resource['id']}", resource)
        return found

    def _fetch_all(self, relatives: Mapping[str, str], what: str) -> dict[str, ChartValue]:
        """Return {key: value} for reads run concurrently; failed or late reads become Unavailable."""
        if self._client is None:
            if what == "prefetch":
                missing = ", ".join(sorted(relatives))
                raise DataUnavailable(f"prefetch missing ({missing}) and no fhirServer to read it from")
            return {
                key: Unavailable("not in prefetch and no FHIR server to read it from") for key in relatives
            }
        client = self._client
        submit = self._pool.submit
        futures = {submit(client.base_url, self._timed_fetch, client, r): key for key, r in relatives.items()}
        self.stats.reads += len(futures)
        done, late = cf.wait(futures, timeout=self._deadline.remaining())
        results: dict[str, ChartValue] = {}
        for future in late:
            future.cancel()
            results[futures[future]] = Unavailable(_BUDGET_EXHAUSTED)
            self._failed("FhirTimeout")
        for future in done:
            try:
                results[futures[future]] = future.result()
            except FhirError as exc:
                results[futures[future]] = Unavailable(exc.reason)
                self._failed(type(exc).__name__)
        return results

    def _timed_fetch(self, client: FhirClient, relative: str) -> ChartValue:
        """Return one read (pages merged), observing its latency."""
        with FHIR_READS.time():
            return client.fetch_query(relative, self._deadline)

    def _failed(self, kind: str) -> None:
        """Count one failed read."""
        self.stats.failures.append(kind)
        FHIR_ERRORS.labels(kind).inc()
