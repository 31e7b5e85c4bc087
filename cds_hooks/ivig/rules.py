"""Parse and validate the rules configuration (TOML text or a mapping) into typed `Rules`.

Validation names the dotted key at fault (`RulesConfigError.field`): unknown keys, missing keys,
wrong types and out-of-range values all stop loading. The core never reads files: the service reads
`DEFAULT_RULES_RESOURCE` with importlib.resources and passes the text here.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from cds_hooks.errors import RulesConfigError
from cds_hooks.ivig.rules_model import Code, Codes, Rules, Thresholds

__all__ = ["DEFAULT_RULES_RESOURCE", "Rules", "merge_rules", "parse_rules", "parse_rules_text"]

DEFAULT_RULES_RESOURCE = ("cds_hooks.ivig", "rules.toml")

_TYPE_NAMES = MappingProxyType({str: "a string", int: "an integer", float: "a number", bool: "a boolean"})
_KINDS = ("hard", "soft")
# Keys of an earlier rules version whose meaning changed: a site file still setting them must be edited.
RETIRED_KEYS = MappingProxyType(
    {
        ("thresholds", "mrc_sum_mcid"): (
            "was retired in rules 2026.12.0: the MRC sum MCID is now set per score maximum; "
            'write it as [response] mrc_sum_mcid_by_max = { "60" = 2.0 } (your value for the 60-point score)'
        ),
    }
)


def merge_rules(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return `base` deep-merged with `override`: tables merge key by key; arrays and values replace."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_rules(current, value)
        else:
            merged[key] = value
    return merged


def parse_rules_text(text: str, override_text: str | None = None) -> Rules:
    """Return the Rules of TOML `text`, optionally deep-merged with a site's override TOML text."""
    base = _loads(text, "rules")
    if override_text is not None:
        base = merge_rules(base, _loads(override_text, "rules override"))
    return parse_rules(base)


def _loads(text: str, what: str) -> dict[str, Any]:
    """Return the mapping of TOML text, raising RulesConfigError on a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesConfigError(f"{what} is not valid TOML: {exc}", field="$") from exc


def parse_rules(mapping: Mapping[str, Any]) -> Rules:
    """Return validated Rules from a mapping; raise RulesConfigError naming the key at fault."""
    _check_retired(mapping)
    local = mapping.get("local_system")
    if not isinstance(local, str) or not local:
        raise RulesConfigError("'local_system' must be a non-empty string", field="local_system")
    rules = _build(Rules, mapping, "", local)
    _check_consistency(rules)
    return typing.cast(Rules, rules)


def _check_retired(mapping: Mapping[str, Any]) -> None:
    """Raise naming what to change when a key of an earlier rules version is still set."""
    for (table, key), message in RETIRED_KEYS.items():
        section = mapping.get(table)
        if isinstance(section, Mapping) and key in section:
            where = f"{table}.{key}"
            raise RulesConfigError(f"'{where}' {message}", field=where)


def _build(cls: type[Any], raw: Any, path: str, local: str) -> Any:
    """Return an instance of dataclass `cls` from `raw`, validating every key."""
    if not isinstance(raw, Mapping):
        raise RulesConfigError(f"'{path}' must be a table", field=path or "$")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            where = _join(path, str(key))
            raise RulesConfigError(f"unknown key '{where}'", field=where)
    values: dict[str, Any] = {}
    for name, fld in fields.items():
        where = _join(path, name)
        if name not in raw:
            raise RulesConfigError(f"missing key '{where}'", field=where)
        values[name] = _convert(hints[name], raw[name], where, local)
        _check_bounds(fld, values[name], where)
    return cls(**values)


def _join(path: str, key: str) -> str:
    """Return the dotted path of `key` under `path`."""
    return f"{path}.{key}" if path else key


def _convert(hint: Any, value: Any, path: str, local: str) -> Any:
    """Return `value` converted to the type `hint`, or raise RulesConfigError naming `path`."""
    origin = typing.get_origin(hint)
    if hint is Code:
        return _parse_code(value, path, local)
    if hint is Codes:
        if not isinstance(value, list):
            raise RulesConfigError(f"'{path}' must be an array", field=path)
        return Codes(_parse_code(v, f"{path}[{i}]", local) for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type[Any], hint), value, path, local)
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if not isinstance(value, list):
            raise RulesConfigError(f"'{path}' must be an array", field=path)
        return tuple(_convert(item_hint, v, f"{path}[{i}]", local) for i, v in enumerate(value))
    if origin is Mapping:
        value_hint = typing.get_args(hint)[1]
        if not isinstance(value, Mapping):
            raise RulesConfigError(f"'{path}' must be a table", field=path)
        return {str(k): _convert(value_hint, v, _join(path, str(k)), local) for k, v in value.items()}
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: Any, path: str) -> Any:
    """Return a validated str, int, float or bool."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float) and isinstance(value, bool):
        raise RulesConfigError(f"'{path}' must be {_TYPE_NAMES[hint]}", field=path)
    if not isinstance(value, hint):
        raise RulesConfigError(f"'{path}' must be {_TYPE_NAMES.get(hint, str(hint))}", field=path)
    if hint is str and not value.strip():
        raise RulesConfigError(f"'{path}' must not be empty", field=path)
    return value


def _parse_code(value: Any, path: str, local: str) -> Code:
    """Return the Code of 'system|code' (a bare code is in the local system)."""
    if not isinstance(value, str) or not value.strip():
        raise RulesConfigError(f"'{path}' must be a 'system|code' string", field=path)
    if "|" not in value:
        return Code(local, value.strip())
    system, _, code = value.partition("|")
    if not system.strip() or not code.strip() or "|" in code:
        raise RulesConfigError(f"'{path}' must be a 'system|code' string, got '{value}'", field=path)
    return Code(system.strip(), code.strip())


def _check_bounds(fld: dataclasses.Field[Any], value: Any, path: str) -> None:
    """Raise when a number lies outside the field's declared bounds."""
    lo, hi = fld.metadata.get("min"), fld.metadata.get("max")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" + (f" and <= {hi}" if hi is not None else "")
        raise RulesConfigError(f"'{path}' must be {bounds}, got {value}", field=path)


def _check_consistency(rules: Rules) -> None:
    """Raise when keys contradict each other (names used in tables must be declared)."""
    anatomy = rules.anatomy
    nerves = anatomy.nerves
    _check_names(anatomy.upper_limb_nerves, nerves, "anatomy.upper_limb_nerves", "nerve")
    _check_names(tuple(anatomy.default_lln_mv), nerves, "anatomy.default_lln_mv", "nerve")
    _check_names(
        tuple(s.nerve for s in anatomy.entrapment_segments), nerves, "anatomy.entrapment_segments", "nerve"
    )
    _check_names(tuple(anatomy.muscle_nerves), anatomy.muscles, "anatomy.muscle_nerves", "muscle")
    _check_names(rules.cb.definite_nerves, nerves, "cb.definite_nerves", "nerve")
    _check_names(rules.cb.excluded_nerves, nerves, "cb.excluded_nerves", "nerve")
    _check_names((rules.cb.erb_point_site,), tuple(anatomy.site_rank), "cb.erb_point_site", "site")
    _check_names(rules.ncs.weak_nerves_to_study, nerves, "ncs.weak_nerves_to_study", "nerve")
    _check_exclusions(rules)
    _check_mcids(rules)
    t: Thresholds = rules.thresholds
    if t.cb_probable_long_area_reduction > t.cb_definite_area_reduction:
        raise RulesConfigError(
            "'thresholds.cb_probable_long_area_reduction' must not exceed the definite reduction",
            field="thresholds.cb_probable_long_area_reduction",
        )
    for name, table in dataclasses.asdict(rules.units).items():
        for unit, factor in table.items():
            if factor <= 0:
                where = f"units.{name}.{unit}"
                raise RulesConfigError(f"'{where}': unit factor must be > 0, got {factor}", field=where)


def _check_names(names: tuple[str, ...], known: tuple[str, ...], path: str, noun: str) -> None:
    """Raise naming the first of `names` that is not among `known`."""
    for i, name in enumerate(names):
        if name not in known:
            where = f"{path}[{i}]"
            raise RulesConfigError(f"'{where}': unknown {noun} '{name}'", field=where)


def _check_exclusions(rules: Rules) -> None:
    """Raise when an exclusion names an unknown finding or kind."""
    findings = tuple(
        f.name for f in dataclasses.fields(rules.findings) if f.name not in ("present", "absent")
    )
    ex = rules.exclusions
    for name in ("umn", "bulbar", "sensory", "respiratory"):
        rule = getattr(ex, name)
        for key in ("signs", "required_absent", "soft_when_only"):
            _check_names(getattr(rule, key), findings, f"exclusions.{name}.{key}", "finding")
        _check_names((rule.kind,), _KINDS, f"exclusions.{name}.kind", "kind (hard or soft)")
    _check_names((ex.kinds.symmetric,), _KINDS, "exclusions.kinds.symmetric", "kind (hard or soft)")
    _check_names((ex.kinds.als,), _KINDS, "exclusions.kinds.als", "kind (hard or soft)")


def _check_mcids(rules: Rules) -> None:
    """Raise when an MRC sum maximum is not a positive whole number or its MCID is not positive."""
    for key, mcid in rules.response.mrc_sum_mcid_by_max.items():
        where = f"response.mrc_sum_mcid_by_max.{key}"
        if not key.isdigit() or int(key) <= 0 or mcid <= 0:
            raise RulesConfigError(f"'{where}': the maximum and its MCID must be positive", field=where)
