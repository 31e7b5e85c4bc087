"""Which profile shapes the cards of a call: the authenticated client's, else `hooks.profile`."""

from __future__ import annotations

from cds_hooks.profiles import ClientProfile, build_client_profile
from service.auth import ClientIdentity
from service.config import Config


def client_profile_of(config: Config, client: ClientIdentity | None) -> ClientProfile:
    """Return the profile configured for `client` (the first [[auth.clients]] entry with its issuer)."""
    if client is not None:
        for entry in config.auth.clients:
            if entry.issuer == client.issuer:
                return build_client_profile(entry.profile, tuple(entry.link_allowlist))
    return build_client_profile(config.hooks.profile)
