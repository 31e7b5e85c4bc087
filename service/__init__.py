"""The ivig-cds service: everything that touches the world (HTTP, FHIR server, store, configuration, CLI)."""
