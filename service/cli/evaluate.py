"""`ivig-cds evaluate`: the hooks' assessment, offline, from a FHIR Bundle of one patient's record."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cds_hooks.errors import CdsError
from cds_hooks.ivig.card_text import build_criteria_table_text
from cds_hooks.ivig.offline import evaluate_bundle
from service.cli.errors import CliError
from service.cli.evaluate_profile import add_profile_arguments, print_profiled
from service.config import load_config
from service.fhir_validation import InvalidResource, validate_resource
from service.rules_loading import load_rules


def add_evaluate_parser(commands: Any) -> None:
    """Add `ivig-cds evaluate`."""
    evaluate = commands.add_parser(
        "evaluate",
        help="assess a FHIR Bundle offline",
        description=(
            "Assess one patient's record offline, exactly as the hooks would. The orders assessed are "
            "--order (a MedicationRequest, or a Bundle of draft orders as the hooks' draftOrders), else the "
            "Bundle's first draft MedicationRequest, else an IVIg order with no stated reason (the problem "
            "list then decides scope). --strict validates the input with the FHIR R4B models first."
        ),
    )
    evaluate.add_argument("bundle", metavar="BUNDLE.json", help="FHIR Bundle of one patient's record")
    evaluate.add_argument(
        "--order",
        metavar="ORDER.json",
        help="the order(s) to assess: a MedicationRequest, or a Bundle of draft orders (as in draftOrders)",
    )
    evaluate.add_argument(
        "--strict",
        action="store_true",
        help="validate the Bundle (and --order) with the FHIR R4B models; name the first invalid element",
    )
    evaluate.add_argument("--as-of", metavar="YYYY-MM-DD", help="assessment date (default: today, UTC)")
    evaluate.add_argument(
        "--format",
        choices=["text", "json", "cards"],
        default="text",
        help="text: criteria table; json: the assessment; cards: the CDS Hooks response",
    )
    evaluate.add_argument(
        "--config", metavar="FILE", help="configuration file (for the [rules] site override)"
    )
    add_profile_arguments(evaluate)
    evaluate.set_defaults(handler=_evaluate)


def _evaluate(args: Any) -> int:
    """Print the assessment of a Bundle in the requested format."""
    bundle = _read_resource(args.bundle, ("Bundle",))
    order = _read_resource(args.order, ("MedicationRequest", "Bundle")) if args.order else None
    if args.strict:
        _validate(args.bundle, bundle)
        if order is not None:
            _validate(args.order, order)
    as_of = _parse_date(args.as_of) if args.as_of else datetime.now(UTC).date()
    rules = load_rules(load_config(args.config).rules.file)
    try:
        result = evaluate_bundle(bundle, rules, as_of, order=order)
    except CdsError as exc:
        raise CliError(f"{args.bundle}: {exc.message}") from None
    if args.format == "text":
        print(build_criteria_table_text(result.assessment))
        if args.profile:
            return print_profiled(result.response, args)
    elif args.format == "json":
        print(json.dumps(result.assessment.to_json(), indent=2))
    elif args.profile:
        return print_profiled(result.response, args)
    else:
        print(json.dumps(result.response.to_json(), indent=2))
    sys.stdout.flush()
    return 0


def _validate(path: str, resource: dict[str, Any]) -> None:
    """Return when the resource read from `path` is valid FHIR R4B; else fail naming its first bad element."""
    try:
        validate_resource(resource)
    except InvalidResource as exc:
        problem = " ".join(exc.problem.split())
        raise CliError(f"{path}: not valid FHIR R4B at {exc.element}: {problem}") from None


def _read_resource(path: str, resource_types: tuple[str, ...]) -> dict[str, Any]:
    """Return the FHIR resource (of one of `resource_types`) in the JSON file at `path`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    except (ValueError, RecursionError):
        raise CliError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict) or data.get("resourceType") not in resource_types:
        raise CliError(f"{path}: expected a FHIR {' or '.join(resource_types)}")
    return data


def _parse_date(text: str) -> date:
    """Return the date given as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"--as-of must be YYYY-MM-DD, got {text!r}") from None
