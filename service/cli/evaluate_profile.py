"""`ivig-cds evaluate --profile NAME`: the cards as that client receives them, and their lint."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from cds_hooks.models import JSON, CdsResponse
from cds_hooks.profiles import (
    PROFILE_NAMES,
    PROFILES,
    LintIssue,
    build_client_profile,
    lint_response,
    shape_response,
)


def add_profile_arguments(parser: Any) -> None:
    """Add --profile and --link-allowlist to the evaluate command."""
    parser.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        help="shape the cards for this client profile and lint them (--format cards: exit 1 on a lint error)",
    )
    parser.add_argument(
        "--link-allowlist",
        metavar="URL",
        action="append",
        default=[],
        help="a URL prefix the client accepts links under (repeatable), as [[auth.clients]] link_allowlist",
    )


def shape_for_profile(response: CdsResponse, name: str, allowlist: list[str]) -> tuple[JSON, list[LintIssue]]:
    """Return the wire body the profile's client receives, and its lint findings."""
    client = build_client_profile(name, tuple(allowlist))
    body = shape_response(response, client, _split_uuid()).to_json()
    return body, lint_response(body, client)


def print_profiled(response: CdsResponse, args: Any) -> int:
    """Print the shaped cards (JSON or text) and the lint findings; return the exit status."""
    body, issues = shape_for_profile(response, args.profile, args.link_allowlist)
    if args.format == "cards":
        print(json.dumps(body, indent=2))
        for issue in issues:
            print(f"ivig-cds: lint: {issue}", file=sys.stderr)
        sys.stdout.flush()
        return 1 if any(i.severity == "error" for i in issues) else 0
    print()
    print(build_cards_text(body, PROFILES[args.profile].title))
    print(f"Lint ({args.profile}): " + ("no findings" if not issues else f"{len(issues)} finding(s)"))
    for issue in issues:
        print(f"  {issue}")
    return 0


def build_cards_text(body: JSON, title: str) -> str:
    """Return a plain-text view of the cards: what the user sees, and the machine-facing codes."""
    cards = body.get("cards") or []
    lines = [f"Cards as {title} receives them: {len(cards)}"]
    for card in cards:
        topic = (card.get("source") or {}).get("topic") or {}
        lines.append(f"- [{card.get('indicator')}] {card.get('summary')}  (topic {topic.get('code', '-')})")
        if card.get("suggestions"):
            lines.append(f"  selectionBehavior: {card.get('selectionBehavior')}")
        for suggestion in card.get("suggestions") or []:
            lines.append(f"  suggestion: {suggestion.get('label')}")
            lines.extend(
                f"    action {a.get('type')}: {a.get('description')}" for a in suggestion.get("actions") or []
            )
        lines.extend(f"  link ({link.get('type')}): {link.get('url')}" for link in card.get("links") or [])
    return "\n".join(lines)


def _split_uuid() -> Callable[[], str]:
    """Return a deterministic uuid factory apart from the offline evaluation's own (variant nibble 9)."""
    state = {"n": 0}

    def new_uuid() -> str:
        state["n"] += 1
        return f"00000000-0000-4000-9000-{state['n']:012d}"

    return new_uuid
