"""Governance: what a CDS committee reviews (report, anomaly flags, shadow-mode review, metric export)."""
