"""A minimal OpenID Connect provider that a test serves on localhost over HTTP: a discovery
document, a JWKS with an RSA and an EC key, an authorize endpoint that approves one fixed
person at once and sends the browser back with a code (from a page of its own, as a real
provider's sign-in page does), and a token endpoint that checks the PKCE verifier.

It signs tokens for the tests too (`provider.token(...)`), counts how often its keys are
fetched, and can rotate its RSA key, so tests see what the service asks of it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

CLIENT_ID = "polarity-portal"
API_AUDIENCE = "polarity-api"


@dataclass(frozen=True)
class Person:
    """Who the provider signs in: its claims, in Keycloak's shapes and the flat ones."""

    sub: str = "5f1c2b1e-priya"
    name: str = "Priya Shah"
    roles: tuple[str, ...] = ("steward", "auditor", "offline_access")


@dataclass
class Key:
    kid: str
    algorithm: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        kind = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        jwk: dict[str, Any] = kind.to_jwk(self.private.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def rsa_key(kid: str) -> Key:
    return Key(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> Key:
    return Key(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


@dataclass
class Provider:
    """The provider's state; `serve()` runs it. The issuer is http://localhost:<port>: another
    site than the service's 127.0.0.1, as a real provider would be."""

    person: Person = field(default_factory=Person)
    keys: list[Key] = field(default_factory=lambda: [rsa_key("rsa-1"), ec_key("ec-1")])
    issuer: str = ""
    jwks_fetches: int = 0
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    @property
    def host(self) -> str:
        """How the portal names the provider: its host and port."""
        return urlsplit(self.issuer).netloc

    def key(self, algorithm: str) -> Key:
        return next(key for key in self.keys if key.algorithm == algorithm)

    def rotate(self) -> Key:
        """A new RSA key replaces the old one in the JWKS."""
        new = rsa_key(f"rsa-{secrets.token_hex(4)}")
        self.keys = [new, *(key for key in self.keys if key.algorithm != "RS256")]
        return new

    def token(
        self,
        *,
        algorithm: str = "RS256",
        key: Key | None = None,
        audience: str = API_AUDIENCE,
        issuer: str | None = None,
        lifetime: int = 300,
        **claims: Any,
    ) -> str:
        """A token of this provider's for its person, signed with `key` (else its key for
        `algorithm`); `claims` add to or replace the standard ones."""
        signer = key or self.key(algorithm)
        now = int(time.time())
        body = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "sub": self.person.sub,
            "iat": now,
            "exp": now + lifetime,
            "name": self.person.name,
            "preferred_username": "priya.shah",
            "realm_access": {"roles": list(self.person.roles)},
            "roles": list(self.person.roles),
            **claims,
        }
        return jwt.encode(
            body, signer.private, algorithm=signer.algorithm, headers={"kid": signer.kid}
        )

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/jwks",
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: back to the client with a code, the person approved."""
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            raise ValueError("unknown client or response type")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise ValueError("PKCE (S256) is required")
        code = secrets.token_urlsafe(24)
        self.codes[code] = query
        back = {"code": code, "state": query.get("state", "")}
        return f"{query['redirect_uri']}?{urlencode(back)}"

    def exchange(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """The token endpoint: the code once, its redirect URI, and the PKCE verifier."""
        self.token_requests.append(form)
        one = {name: values[0] for name, values in form.items()}
        asked = self.codes.pop(one.get("code", ""), None)
        if asked is None or one.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "unknown code"}
        digest = hashlib.sha256(one.get("code_verifier", "").encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if challenge != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"}
        return 200, {
            "token_type": "Bearer",
            "expires_in": 300,
            "access_token": self.token(),
            "id_token": self.token(audience=CLIENT_ID, nonce=asked.get("nonce", "")),
        }


class Handler(BaseHTTPRequestHandler):
    provider: Provider

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self.send_json(200, self.provider.discovery())
        elif url.path == "/jwks":
            self.provider.jwks_fetches += 1
            self.send_json(200, {"keys": [key.public_jwk() for key in self.provider.keys]})
        elif url.path == "/authorize":
            try:
                self.send_page(self.provider.authorize(query))
            except ValueError as error:
                self.send_json(400, {"error": "invalid_request", "error_description": str(error)})
        elif url.path == "/logout":
            self.send_json(200, {"signed_out": True})
        else:
            self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/token":
            self.send_json(404, {"error": "not_found"})
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        status, answer = self.provider.exchange(parse_qs(body))
        self.send_json(status, answer)

    def send_page(self, back: str) -> None:
        """The person is approved at once; like a real provider's sign-in page, this page of the
        provider's sends the browser back, so the return is a navigation from another site."""
        data = (
            f'<!doctype html><meta http-equiv="refresh" content="0; url={escape(back)}">'
            f'<a id="back" href="{escape(back)}">Back to the application</a>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests say what matters."""


@contextmanager
def serve(provider: Provider | None = None) -> Iterator[Provider]:
    """The provider listening on a free port of localhost until the block ends."""
    provider = provider or Provider()
    handler = type("BoundHandler", (Handler,), {"provider": provider})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    provider.issuer = f"http://localhost:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
