"""Client JWTs for the benchmark: one bench client per algorithm (RS384, ES384) and pools of signed tokens.

Every benchmarked request carries its own token (distinct `jti`), as an EHR sends them, so replay check
and signature verification are measured as they run in production. Every app of a run (floor and
service) has the same public URL (`AUDIENCE_BASE`: `aud` is the configured URL, never the Host header)
and its own replay cache, so one pool serves them all: each app takes its tokens from the start of the
pool. Pools (with their keys) are kept in a cache directory and reused while their tokens stay valid
long enough, since signing 100,000 tokens costs about half a minute of both cores.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

AUDIENCE_BASE = "https://ivig-cds.bench.invalid"
SERVICE_PATH = "/cds-services/ivig-order-sign"
AUDIENCE = AUDIENCE_BASE + SERVICE_PATH
ALGORITHMS = ("RS384", "ES384")
TOKEN_TTL_SECONDS = 3500  # under the service's 3600 s cap
RSA_BITS = 2048  # Epic's RS384 client keys are RSA-2048


@dataclass(frozen=True)
class BenchClient:
    """One bench EHR client: its algorithm, issuer, kid, private key and public JWK Set files."""

    alg: str
    directory: Path

    @property
    def issuer(self) -> str:
        """Return the client's issuer URL."""
        return f"https://bench-ehr-{self.alg.lower()}.ivig-cds.invalid"

    @property
    def kid(self) -> str:
        """Return the key id."""
        return f"bench-{self.alg.lower()}"

    @property
    def key_path(self) -> Path:
        """Return the private key (PEM)."""
        return self.directory / f"{self.kid}.pem"

    @property
    def jwks_path(self) -> Path:
        """Return the public JWK Set file."""
        return self.directory / f"{self.kid}.jwks.json"


def bench_client(directory: Path, alg: str) -> BenchClient:
    """Return the bench client for `alg` in `directory`, generating its key pair when absent."""
    client = BenchClient(alg, directory)
    if client.key_path.exists() and client.jwks_path.exists():
        return client
    directory.mkdir(parents=True, exist_ok=True)
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if alg == "RS384":
        key = rsa.generate_private_key(65537, RSA_BITS)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    else:
        key = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": client.kid, "alg": alg, "use": "sig"})
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    client.key_path.write_bytes(pem)
    client.key_path.chmod(0o600)
    client.jwks_path.write_text(json.dumps({"keys": [public]}))
    return client


def _sign_batch(alg: str, pem: bytes, issuer: str, kid: str, iat: int, count: int) -> list[str]:
    key = serialization.load_pem_private_key(pem, password=None)
    claims = {"iss": issuer, "aud": AUDIENCE, "iat": iat, "exp": iat + TOKEN_TTL_SECONDS}
    headers = {"kid": kid, "typ": "JWT"}
    return [
        jwt.encode(claims | {"jti": str(uuid.uuid4())}, key, algorithm=alg, headers=headers)  # type: ignore[arg-type]
        for _ in range(count)
    ]


def sign_token(client: BenchClient, audience: str = AUDIENCE) -> str:
    """Return one fresh token of `client` for `audience`."""
    key = serialization.load_pem_private_key(client.key_path.read_bytes(), password=None)
    now = int(time.time())
    claims = {"iss": client.issuer, "aud": audience, "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm=client.alg, headers={"kid": client.kid})  # type: ignore[arg-type]


@dataclass
class TokenPool:
    """Signed tokens of one client, taken in order by each app (each app has its own replay cache)."""

    client: BenchClient
    min_valid_seconds: int
    processes: int = 2
    tokens: list[str] = field(default_factory=list)
    iat: int = 0
    cursors: dict[str, int] = field(default_factory=dict)

    @property
    def _file(self) -> Path:
        return self.client.directory / f"{self.client.kid}.tokens"

    def load(self) -> TokenPool:
        """Read the cached pool when its tokens stay valid long enough, else start an empty one."""
        now = int(time.time())
        meta = self._file.with_suffix(".meta")
        if self._file.exists() and meta.exists():
            iat = int(meta.read_text())
            if iat <= now and iat + TOKEN_TTL_SECONDS - now >= self.min_valid_seconds:
                self.iat, self.tokens = iat, self._file.read_text().split()
                return self
        self.iat, self.tokens = now - 5, []
        meta.write_text(str(self.iat))
        self._file.write_text("")
        return self

    def ensure(self, count: int) -> None:
        """Sign tokens until the pool holds at least `count` (appended to the cache file)."""
        missing = count - len(self.tokens)
        if missing <= 0:
            return
        started = time.monotonic()
        pem = self.client.key_path.read_bytes()
        shares = [missing // self.processes + (i < missing % self.processes) for i in range(self.processes)]
        c = self.client
        with cf.ProcessPoolExecutor(self.processes) as pool:
            batches = [
                pool.submit(_sign_batch, c.alg, pem, c.issuer, c.kid, self.iat, n) for n in shares if n
            ]
            new = [t for batch in batches for t in batch.result()]
        with self._file.open("a") as out:
            out.write("".join(t + "\n" for t in new))
        self.tokens += new
        print(
            f"bench: signed {missing} {c.alg} tokens in {time.monotonic() - started:.1f} s", file=sys.stderr
        )

    def write_slice(self, consumer: str, count: int, out: Path) -> Path:
        """Write the next `count` tokens of `consumer` (an app) to `out`, one a line; return `out`."""
        start = self.cursors.get(consumer, 0)
        self.ensure(start + count)
        self.cursors[consumer] = start + count
        out.write_text("\n".join(self.tokens[start : start + count]) + "\n")
        return out

    def give_back(self, consumer: str, count: int, used: int) -> None:
        """Return the tail of the last slice of `consumer` that was never sent (only the first `used`)."""
        self.cursors[consumer] -= max(0, count - used)
