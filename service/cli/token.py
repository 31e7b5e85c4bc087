"""`ivig-cds token sign`: a client JWT as an EHR would send it, for testing an integration."""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from service.cli.errors import CliError


def add_token_parser(commands: Any) -> None:
    """Add `ivig-cds token sign`."""
    token = commands.add_parser("token", help="client JWTs for testing an integration")
    token_cmds = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    sign = token_cmds.add_parser(
        "sign",
        help="sign a CDS Hooks client JWT with a private key (JWK or PEM)",
        description="Print a JWT as a CDS client would send it (fresh jti, 5-minute lifetime).",
    )
    sign.add_argument("--key", required=True, metavar="FILE", help="private key: a JWK (JSON) or PEM file")
    sign.add_argument("--iss", required=True, help="issuer (the client's configured issuer)")
    sign.add_argument("--aud", required=True, help="the exact URL to be called")
    sign.add_argument("--kid", help="key id (default: the JWK's kid)")
    sign.add_argument("--alg", choices=["ES384", "RS384"], help="algorithm (default: from the key)")
    sign.add_argument("--ttl", type=int, default=300, help="lifetime in seconds (default 300)")
    sign.add_argument("--tenant", help="optional tenant claim")
    sign.set_defaults(handler=_token_sign)


def _token_sign(args: argparse.Namespace) -> int:
    """Print a signed client JWT."""
    try:
        text = Path(args.key).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read key file {args.key}: {exc.__class__.__name__}") from None
    key, kid, alg = _private_key(text, args.kid, args.alg)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": args.iss,
        "aud": args.aud,
        "iat": now,
        "exp": now + args.ttl,
        "jti": str(uuid.uuid4()),
    }
    if args.tenant:
        claims["tenant"] = args.tenant
    print(jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"}))
    return 0


def _private_key(text: str, kid: str | None, alg: str | None) -> tuple[Any, str, str]:
    """Return (key, kid, alg) from a JWK or PEM private key."""
    if text.lstrip().startswith("{"):
        try:
            jwk = jwt.PyJWK.from_dict(json.loads(text))
        except (ValueError, jwt.PyJWTError) as exc:
            raise CliError(f"key file is not a usable private JWK: {exc.__class__.__name__}") from None
        kid = kid or jwk.key_id
        alg = alg or jwk.algorithm_name
        key: Any = jwk.key
    else:
        key = text
    if not kid or alg not in ("ES384", "RS384"):
        raise CliError("give --kid and --alg (ES384 or RS384) for this key")
    return key, kid, alg
