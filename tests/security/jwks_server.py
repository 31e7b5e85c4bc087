"""A real JWK Set server on loopback, over TLS with a throwaway CA made for the test run (or plain http).

The server can answer, hang (hold every request until released, as a server that never answers), or be
stopped (down). It counts the requests it received, so tests assert how often the service fetched.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
HOLD_LIMIT_SECONDS = 120.0  # a held request is let go at the latest after this (the test has ended)


@dataclass
class TlsFiles:
    """A throwaway CA (its certificate is the client's CA bundle) and a server certificate for 127.0.0.1."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_tls_files(directory: Path) -> TlsFiles:
    """Write a new CA and a CA-signed certificate for 127.0.0.1 and localhost; return their paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("ivig-cds test CA"))
        .issuer_name(_name("ivig-cds test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alt_names, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(_pem_key(server_key))
    return files


@dataclass
class JwksServer:
    """State of a running JWK Set server; change `document` or call hang()/release() at any time."""

    document: dict[str, Any]
    url: str = ""
    requests: list[str] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)  # set: a request is being held now
    _hang: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _stop: Callable[[], None] | None = None

    def stop(self) -> None:
        """Take the server down: held requests are let go, new connections are refused."""
        self.release()
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()

    def hang(self) -> None:
        """From now on, hold every request without answering (until release())."""
        self._release.clear()
        self._hang.set()

    def release(self) -> None:
        """Answer the held requests, and answer normally from now on."""
        self._hang.clear()
        self._release.set()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one GET: hold it while hanging, then send the current document."""
        self.requests.append(handler.path)
        if self._hang.is_set():
            self.held.set()
            self._release.wait(HOLD_LIMIT_SECONDS)
        body = json.dumps(self.document).encode()
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            return  # the client gave up on a held request


def _handler_for(state: JwksServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


class _TlsThreadingHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that runs each TLS handshake in the connection's own thread.

    Wrapping the listening socket instead would handshake inside `accept`, on the one serving thread,
    where a handshake error drops the connection with a reset: two workers loading their keys at the
    same moment then saw `Connection reset by peer` on their first read.
    """

    context: ssl.SSLContext | None = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.context is None:
            super().finish_request(request, client_address)
            return
        with self.context.wrap_socket(request, server_side=True) as wrapped:
            super().finish_request(wrapped, client_address)


@contextmanager
def running_jwks_server(document: dict[str, Any], tls: TlsFiles | None) -> Iterator[JwksServer]:
    """Serve `document` at /jwks.json on 127.0.0.1 (https when `tls` is given); stop on exit."""
    state = JwksServer(document)
    server = _TlsThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.server_cert, tls.server_key)
        server.context = context
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_port}/jwks.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    state._stop = stop
    try:
        yield state
    finally:
        state.stop()
