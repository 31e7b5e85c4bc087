"""Client JWTs for the benchmark: a generated ES384 key, its JWK Set, and pre-signed tokens.

Every benchmarked request carries its own token (distinct `jti`), as an EHR sends them, so the
service's replay check and signature verification are measured as they run in production.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://bench-ehr.ivig-cds.invalid"
KID = "bench-es384"
ALG = "ES384"
TOKEN_TTL_SECONDS = 3000  # under the service's 3600 s cap, far beyond a bench run


def generate_key(directory: Path) -> tuple[Path, Path]:
    """Write a fresh ES384 private key (PEM) and its public JWK Set; return (key path, jwks path)."""
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": KID, "alg": ALG, "use": "sig"})
    key_path, jwks_path = directory / "bench-client.pem", directory / "bench-client.jwks.json"
    key_path.write_bytes(pem)
    key_path.chmod(0o600)
    jwks_path.write_text(json.dumps({"keys": [public]}))
    return key_path, jwks_path


def _sign_batch(pem: bytes, audience: str, count: int) -> list[str]:
    key = serialization.load_pem_private_key(pem, password=None)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "iat": now, "exp": now + TOKEN_TTL_SECONDS}
    headers = {"kid": KID, "typ": "JWT"}
    return [
        jwt.encode(claims | {"jti": str(uuid.uuid4())}, key, algorithm=ALG, headers=headers)  # type: ignore[arg-type]
        for _ in range(count)
    ]


def sign_token(key_path: Path, audience: str) -> str:
    """Return one fresh token for `audience`."""
    return _sign_batch(key_path.read_bytes(), audience, 1)[0]


def write_tokens(key_path: Path, audience: str, count: int, out: Path, processes: int = 2) -> Path:
    """Sign `count` tokens (distinct jti) for `audience` into `out`, one a line; return `out`."""
    pem = key_path.read_bytes()
    share = [count // processes + (1 if i < count % processes else 0) for i in range(processes)]
    with cf.ProcessPoolExecutor(processes) as pool:
        batches = list(pool.map(_sign_batch, [pem] * processes, [audience] * processes, share))
    out.write_text("\n".join(t for batch in batches for t in batch) + "\n")
    return out
