"""The README's architecture section names every module of both packages (and so says what each is for)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def extract_architecture_section() -> str:
    """Return the README's Architecture section, up to the next top-level heading."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Architecture\n", 1)[1]
    return section.split("\n## ", 1)[0]


def test_every_module_is_named_in_the_architecture_section() -> None:
    section = extract_architecture_section()
    modules = [
        p
        for package in ("cds_hooks", "service")
        for p in sorted((ROOT / package).rglob("*.py"))
        if p.stem not in {"__init__", "__main__"}
    ]
    assert len(modules) > 80
    missing = [str(p.relative_to(ROOT)) for p in modules if not re.search(rf"`[^`]*\b{p.stem}\b", section)]
    assert missing == [], f"add a line for each to the README's Architecture section: {missing}"


def test_every_criterion_is_pointed_at() -> None:
    from cds_hooks.ivig.criterion_ids import CriterionId

    section = extract_architecture_section()
    assert [c.value for c in CriterionId if c.value not in section] == []


def test_every_function_it_points_at_exists() -> None:
    section = extract_architecture_section()
    named = set(re.findall(r"`((?:evaluate|build|parse|check|shape|verify|call|extract)_\w+)`", section))
    defined = {
        m
        for package in ("cds_hooks", "service")
        for p in (ROOT / package).rglob("*.py")
        for m in re.findall(r"^\s*def (\w+)\(", p.read_text(encoding="utf-8"), re.M)
    }
    modules = {p.stem for package in ("cds_hooks", "service") for p in (ROOT / package).rglob("*.py")}
    assert len(named) > 20
    assert sorted(named - defined - modules) == []
