"""Client profiles: shape a built CdsResponse to what one EHR family accepts, and lint the result."""

from cds_hooks.profiles.lint import LintIssue, lint_spec
from cds_hooks.profiles.lint_profile import lint_profile, lint_response
from cds_hooks.profiles.model import (
    GENERIC,
    PROFILE_NAMES,
    PROFILES,
    ClientProfile,
    Profile,
    ProfileName,
    build_client_profile,
)
from cds_hooks.profiles.shape import build_static_topic_code, shape_response

__all__ = [
    "GENERIC",
    "PROFILES",
    "PROFILE_NAMES",
    "ClientProfile",
    "LintIssue",
    "Profile",
    "ProfileName",
    "build_client_profile",
    "build_static_topic_code",
    "lint_profile",
    "lint_response",
    "lint_spec",
    "shape_response",
]
