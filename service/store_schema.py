"""The store's tables (SQLAlchemy Core): feedback, the audit trail and the JWT replay cache."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("card_uuid", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", Text, nullable=False),
    Column("override_system", String(256)),
    Column("override_code", String(128)),
    Column("override_display", String(512)),
    Column("user_comment", Text),
    Column("outcome_timestamp", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # Added after v1 (nullable; service.store_upgrade adds them to an existing store):
    Column("override_reasons", Text),  # JSON list of every reason when a client sent several
    Column("client_issuer", String(512)),
    Column("tenant", String(128)),
    UniqueConstraint("service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_once"),
)

audit_table = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("hook_instance", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("outcome", String(64)),
    Column("card_uuids", Text, nullable=False),
    Column("rules_version", String(64)),
    Column("duration_ms", Integer, nullable=False),
    Column("patient_pseudonym", String(64)),
    Column("client_issuer", String(512)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Added after v1 (nullable; service.store_upgrade adds them to an existing store):
    Column("hook", String(64)),
    Column("tenant", String(128)),
    Column("silent", Boolean),  # shadow mode: the card was built and audited, not shown
    Column("reason", String(64)),  # reason code of a refused call (never a token or patient id)
    Column("fhir_reads", Integer),
    Column("fhir_failures", Integer),
    Column("from_prefetch", Integer),
    Column("token_used", Boolean),  # fhirAuthorization was given
    Column("cards_detail", Text),  # JSON: per card uuid, outcome, indicator, suggestion labels
    Column("criteria", Text),  # JSON: criterion id -> status of the assessment (no evidence)
)

jti_table = Table(
    "seen_jti",
    metadata,
    Column("issuer", String(512), primary_key=True),
    Column("jti", String(256), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
