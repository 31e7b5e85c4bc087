"""Client profiles: what each EHR family is documented to accept in a CDS Hooks 2.0 response.

A `Profile` is static knowledge about a client family (Epic, Oracle Health, athenaOne, the CDS Hooks
sandbox, or a generic 2.0 client); a `ClientProfile` is one configured client's profile together with
its own settings (the link allow-list). Both are plain data: shaping and lint read them, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from cds_hooks.models import SelectionBehavior

ProfileName = Literal["generic", "epic", "oracle", "athena", "sandbox"]
PROFILE_NAMES: tuple[ProfileName, ...] = get_args(ProfileName)
LinkType = Literal["absolute", "smart"]
TOPIC_CODE_MAX = 100


@dataclass(frozen=True)
class Profile:
    """The documented limits of one client family, as shaping and lint apply them."""

    name: ProfileName
    title: str
    selection_behavior: SelectionBehavior | None = None  # forced value; None keeps the card's own
    one_action_per_suggestion: bool = False
    static_topic_codes: bool = False  # source.topic.code alphanumeric, at most TOPIC_CODE_MAX characters
    app_context: bool = True  # whether smart links may carry appContext
    listed_link_types: frozenset[LinkType] = frozenset()  # link types kept only when allow-listed
    hooks: frozenset[str] | None = None  # the hooks the client is known to call (None: any)


PROFILES: dict[ProfileName, Profile] = {
    "generic": Profile("generic", "any CDS Hooks 2.0 client"),
    "sandbox": Profile("sandbox", "the CDS Hooks sandbox (sandbox.cds-hooks.org)"),
    "athena": Profile("athena", "athenaOne", hooks=frozenset({"order-select", "order-sign", "patient-view"})),
    "epic": Profile(
        "epic",
        "Epic",
        selection_behavior="any",
        one_action_per_suggestion=True,
        static_topic_codes=True,
        listed_link_types=frozenset({"smart"}),
    ),
    "oracle": Profile(
        "oracle",
        "Oracle Health (Cerner)",
        app_context=False,
        listed_link_types=frozenset({"absolute", "smart"}),
        hooks=frozenset({"patient-view"}),
    ),
}


@dataclass(frozen=True)
class ClientProfile:
    """One configured client's profile and its own link allow-list (URL prefixes)."""

    profile: Profile
    link_allowlist: tuple[str, ...] = ()

    def allows_link(self, url: str, link_type: str) -> bool:
        """Return whether a link of this type and URL may be sent to the client."""
        if link_type not in self.profile.listed_link_types:
            return True
        return any(_under(url, prefix) for prefix in self.link_allowlist)


GENERIC = ClientProfile(PROFILES["generic"])


def build_client_profile(name: str, link_allowlist: tuple[str, ...] = ()) -> ClientProfile:
    """Return the ClientProfile named `name`, or raise ValueError naming the known profiles."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile '{name}' (known: {', '.join(PROFILE_NAMES)})")
    return ClientProfile(PROFILES[name], tuple(link_allowlist))


def _under(url: str, prefix: str) -> bool:
    """Return whether `url` is `prefix` itself or a URL below it (path-segment boundary)."""
    if url == prefix:
        return True
    base = prefix if prefix.endswith(("/", "?", "#")) else prefix + "/"
    return url.startswith(base)
