"""`ivig-cds evaluate`: the hooks' assessment, offline, from a FHIR Bundle of one patient's record."""

from __future__ import annotations

from typing import Any


def add_evaluate_parser(commands: Any) -> None:
    """Add `ivig-cds evaluate`."""
    evaluate = commands.add_parser(
        "evaluate", help="assess a FHIR Bundle offline", description="Assess one patient's record offline."
    )
    evaluate.add_argument("bundle", metavar="BUNDLE.json", help="FHIR Bundle of one patient's record")
    evaluate.add_argument("--order", metavar="MEDICATIONREQUEST.json", help="the IVIg order to assess")
    evaluate.add_argument("--as-of", metavar="YYYY-MM-DD", help="assessment date (default: today)")
    evaluate.add_argument("--format", choices=["text", "json", "cards"], default="text", help="output format")
    evaluate.add_argument("--config", metavar="FILE", help="configuration file (for the [rules] site override)")
    evaluate.set_defaults(handler=_evaluate)


def _evaluate(args: Any) -> int:
    from service.cli import CliError

    raise CliError("evaluate is not available yet")
