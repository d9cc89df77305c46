"""Settings read once from the environment into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA_DIR = Path("var/pgdata")
DEFAULT_JWT_SECRET = "polarity-development-secret-change-me"
MOST_DEFAULT_WORKERS = 4  # more would mostly hold connections: PostgreSQL does the rest
MIN_PRODUCTION_SECRET_LENGTH = 32
DEFAULT_PROJECTION_CACHE_ROWS = 200_000

# Every variable the service reads, with what it means. Deployment files may set only these.
VARIABLES: Mapping[str, str] = {
    "POLARITY_DATABASE_URL": "PostgreSQL URL; unset starts the embedded server",
    "POLARITY_APP_PASSWORD": "password `polarity db init` gives the application role "
    "polarity_app, and the service logs in with (unset: none, for servers that trust it)",
    "POLARITY_DATA_DIR": "data directory of the embedded server (default ./var/pgdata)",
    "POLARITY_EMBEDDED_TCP_PORT": "port on 127.0.0.1 where the embedded server also listens, for "
    "BI tools; connections there need a password (unset: a Unix socket only)",
    "POLARITY_DEMO": "`polarity serve` first loads the demo into an empty event store (default "
    "false)",
    "POLARITY_ENV": "'development' (default) or 'production'",
    "POLARITY_JWT_SECRET": "secret that signs bearer tokens; required in production",
    "POLARITY_HOST": "address the API listens on (default 127.0.0.1)",
    "POLARITY_PORT": "port the API listens on (default 8000)",
    "POLARITY_LOG_LEVEL": "logging level (default INFO)",
    "POLARITY_LOG_FORMAT": "'json' (one object per line) or 'text'; default: text on a terminal, "
    "else json",
    "POLARITY_SNAPSHOT_INTERVAL": "events between aggregate snapshots (default 50)",
    "POLARITY_GRAPHIQL": "serve GraphiQL at /graphql (default: on in development only)",
    "POLARITY_INTROSPECTION": "allow schema introspection (default: on in development only)",
    "POLARITY_WORKERS": "worker processes of `polarity serve` (default: one per core, at most "
    f"{MOST_DEFAULT_WORKERS})",
    "POLARITY_PROJECTIONS": "'inline' (default): the service keeps the reporting views (with "
    "several workers, in one process of their own beside them); 'off'",
    "POLARITY_RATE_LIMIT": "requests per actor, as N/second|minute|hour or off (default 20/second)",
    "POLARITY_RATE_LIMIT_ADDRESS": "requests per client address before authentication, as "
    "N/second|minute|hour, or off (default 50/second)",
    "POLARITY_AUDIT_KEY": "Ed25519 key that signs audit checkpoints: base64 of its 32 bytes, "
    "or PEM",
    "POLARITY_AUDIT_KEY_FILE": "file holding that key instead (PEM or base64); one is required "
    "in production",
    "POLARITY_APPROVAL_HOURS": "hours a request for a second person's approval can still be "
    "approved (default 72)",
    "POLARITY_CHECKPOINT_SECONDS": "seconds between signed checkpoints (default 3600)",
    "POLARITY_VERIFY_SECONDS": "seconds between background checks of new events against the "
    "hash chain, or off (default 10)",
    "POLARITY_JWT_ISSUER": "OpenID Connect issuer whose RS256/ES256 tokens the API accepts, as "
    "in their iss claim (unset: only tokens signed with POLARITY_JWT_SECRET)",
    "POLARITY_JWT_AUDIENCE": "the aud those tokens must name (several: separated by commas); "
    "required with an issuer",
    "POLARITY_JWT_JWKS_URL": "where the issuer publishes its keys (default: jwks_uri of its "
    "/.well-known/openid-configuration)",
    "POLARITY_JWT_ROLES_CLAIM": "claim holding the person's roles; a dotted path for a nested "
    "one, like realm_access.roles (default roles)",
    "POLARITY_JWT_NAME_CLAIM": "claim holding the person's display name (default name)",
    "POLARITY_JWT_ALLOW_HS256": "also accept tokens signed with POLARITY_JWT_SECRET in "
    "production when an issuer is set (default false)",
    "POLARITY_OIDC_CLIENT_ID": "the portal's client id at the issuer: the portal then signs "
    "people in there (authorization code flow with PKCE)",
    "POLARITY_OIDC_CLIENT_SECRET": "that client's secret (unset: a public client)",
    "POLARITY_METRICS_TOKEN": "bearer token GET /metrics asks for (unset: none; protect it on the "
    "network instead)",
    "POLARITY_OTLP_ENDPOINT": "OTLP/HTTP endpoint traces are sent to, e.g. http://collector:4318 "
    "(unset: no tracing)",
    "POLARITY_RESPONSE_CACHE_MB": "megabytes of answers to queries over the reporting views "
    "each worker keeps until a view they read moves (default 32; 0: no cache)",
    "POLARITY_READY_MAX_LAG": "seconds a reporting view may lag before /ready answers 503 "
    "(unset: lag does not count)",
    "POLARITY_PROJECTION_CACHE_ROWS": "rows of the reporting views a projection runner holds in "
    f"memory, shared among their tables (default {DEFAULT_PROJECTION_CACHE_ROWS:,}: about "
    "250 MB); others are read from their tables as events need them",
}
LOG_FORMATS = ("json", "text")
RATE_UNITS = ("second", "minute", "hour")
Rate = tuple[str, int] | None  # (unit, requests), or None: no limit


class SettingsError(ValueError):
    """A setting in the environment has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    app_password: str | None = None  # the application role's (service.roles)
    data_dir: Path = DEFAULT_DATA_DIR
    embedded_tcp_port: int | None = None  # the embedded server listens on 127.0.0.1 there too
    demo: bool = False  # `serve` loads the demo into an empty store first
    environment: str = "development"
    jwt_secret: str = DEFAULT_JWT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    snapshot_interval: int = 50
    approval_hours: int = 72  # how long a request for a second person's approval stays open
    graphiql: bool = True
    introspection: bool = True
    workers: int = 1  # from_env: one per core (`default_workers`)
    projections_inline: bool = True
    rate_limit: Rate = ("second", 20)  # per actor
    rate_limit_address: Rate = ("second", 50)  # per client address, before authentication
    audit_key: str | None = None  # base64 or PEM
    audit_key_file: Path | None = None
    checkpoint_seconds: int = 3600
    verify_seconds: int | None = None  # the background verifier: off unless set (from_env: 10)
    jwt_issuer: str | None = None  # an OpenID Connect issuer whose tokens are accepted too
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None  # None: discovered from the issuer
    jwt_roles_claim: str = "roles"
    jwt_name_claim: str = "name"
    jwt_allow_hs256: bool = False  # production with an issuer: accept our own HS256 tokens too
    jwks_refresh_seconds: float = 30.0  # at most one refetch of the keys this often (unknown kid)
    oidc_client_id: str | None = None  # the portal's client at the issuer
    oidc_client_secret: str | None = None
    log_format: str | None = None  # "json" or "text"; None: text on a terminal, else json
    metrics_token: str | None = None  # what GET /metrics asks for, if anything
    otlp_endpoint: str | None = None  # where traces go; None: no tracing at all
    ready_max_lag: float | None = None  # seconds a view may lag before /ready says 503
    response_cache_mb: int = 32  # per worker; 0: answers are always computed
    # Rows a projection runner holds in memory; the runner reads it itself (`service.projector`).
    projection_cache_rows: int = DEFAULT_PROJECTION_CACHE_ROWS

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def accepts_secret_tokens(self) -> bool:
        """Whether HS256 tokens signed with jwt_secret are accepted: always, except in production
        with an issuer configured, unless explicitly allowed."""
        return not (self.is_production and self.jwt_issuer) or self.jwt_allow_hs256

    @property
    def portal_signs_in_at_issuer(self) -> bool:
        return bool(self.jwt_issuer and self.oidc_client_id)

    @property
    def missing_audit_key(self) -> str:
        return (
            "POLARITY_AUDIT_KEY or POLARITY_AUDIT_KEY_FILE is not set: production signs the audit "
            "trail's checkpoints with an Ed25519 key of its own (for example the output of "
            "`openssl genpkey -algorithm ed25519`)"
        )

    def validate_for_serving(self) -> None:
        """Refuse an issuer without an audience (or its options without an issuer); refuse to
        serve production with a missing, default or short token-signing secret, or without a
        key to sign the audit trail's checkpoints."""
        self._validate_issuer()
        if not self.is_production:
            return
        if self.jwt_secret == DEFAULT_JWT_SECRET:
            raise SettingsError(
                "POLARITY_JWT_SECRET is not set: production needs a secret of its own, at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters long (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if len(self.jwt_secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise SettingsError(
                f"POLARITY_JWT_SECRET has {len(self.jwt_secret)} characters: production needs "
                f"at least {MIN_PRODUCTION_SECRET_LENGTH}"
            )
        if not (self.audit_key or self.audit_key_file):
            raise SettingsError(self.missing_audit_key)

    def _validate_issuer(self) -> None:
        if self.jwt_issuer is None:
            needing = [
                name
                for name, value in (
                    ("POLARITY_JWT_AUDIENCE", self.jwt_audience),
                    ("POLARITY_JWT_JWKS_URL", self.jwt_jwks_url),
                    ("POLARITY_OIDC_CLIENT_ID", self.oidc_client_id),
                )
                if value
            ]
            if needing:
                raise SettingsError(f"{', '.join(needing)} needs POLARITY_JWT_ISSUER to be set")
            return
        for name, url in (
            ("POLARITY_JWT_ISSUER", self.jwt_issuer),
            ("POLARITY_JWT_JWKS_URL", self.jwt_jwks_url),
        ):
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise SettingsError(f"{name} must be an http(s) URL, not {url!r}")
        if not self.jwt_audience:
            raise SettingsError(
                "POLARITY_JWT_AUDIENCE is not set: with an issuer, the API accepts only its "
                "tokens meant for this service (their aud claim), so name that audience"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = env.get("POLARITY_ENV", "development")
        if environment not in ("development", "production"):
            raise SettingsError(
                f"POLARITY_ENV must be 'development' or 'production', not {environment!r}"
            )
        return cls(
            database_url=env.get("POLARITY_DATABASE_URL") or None,
            app_password=env.get("POLARITY_APP_PASSWORD") or None,
            data_dir=Path(env.get("POLARITY_DATA_DIR") or DEFAULT_DATA_DIR),
            embedded_tcp_port=_port(env, "POLARITY_EMBEDDED_TCP_PORT"),
            demo=_flag(env, "POLARITY_DEMO", False),
            environment=environment,
            jwt_secret=env.get("POLARITY_JWT_SECRET") or DEFAULT_JWT_SECRET,
            host=env.get("POLARITY_HOST", "127.0.0.1"),
            port=_positive_int(env, "POLARITY_PORT", 8000),
            log_level=env.get("POLARITY_LOG_LEVEL", "INFO").upper(),
            snapshot_interval=_positive_int(env, "POLARITY_SNAPSHOT_INTERVAL", 50),
            approval_hours=_positive_int(env, "POLARITY_APPROVAL_HOURS", 72),
            graphiql=_flag(env, "POLARITY_GRAPHIQL", environment == "development"),
            introspection=_flag(env, "POLARITY_INTROSPECTION", environment == "development"),
            workers=_positive_int(env, "POLARITY_WORKERS", default_workers()),
            projections_inline=_projections(env),
            rate_limit=_rate(env, "POLARITY_RATE_LIMIT", cls.rate_limit),
            rate_limit_address=_rate(env, "POLARITY_RATE_LIMIT_ADDRESS", cls.rate_limit_address),
            audit_key=env.get("POLARITY_AUDIT_KEY") or None,
            audit_key_file=Path(env["POLARITY_AUDIT_KEY_FILE"])
            if env.get("POLARITY_AUDIT_KEY_FILE")
            else None,
            checkpoint_seconds=_positive_int(env, "POLARITY_CHECKPOINT_SECONDS", 3600),
            verify_seconds=None
            if env.get("POLARITY_VERIFY_SECONDS", "").strip().lower() == "off"
            else _positive_int(env, "POLARITY_VERIFY_SECONDS", 10),
            jwt_issuer=env.get("POLARITY_JWT_ISSUER", "").strip() or None,
            jwt_audience=env.get("POLARITY_JWT_AUDIENCE", "").strip() or None,
            jwt_jwks_url=env.get("POLARITY_JWT_JWKS_URL", "").strip() or None,
            jwt_roles_claim=env.get("POLARITY_JWT_ROLES_CLAIM", "").strip() or "roles",
            jwt_name_claim=env.get("POLARITY_JWT_NAME_CLAIM", "").strip() or "name",
            jwt_allow_hs256=_flag(env, "POLARITY_JWT_ALLOW_HS256", False),
            oidc_client_id=env.get("POLARITY_OIDC_CLIENT_ID", "").strip() or None,
            oidc_client_secret=env.get("POLARITY_OIDC_CLIENT_SECRET") or None,
            log_format=_log_format(env),
            metrics_token=env.get("POLARITY_METRICS_TOKEN") or None,
            otlp_endpoint=env.get("POLARITY_OTLP_ENDPOINT") or None,
            ready_max_lag=_positive_seconds(env, "POLARITY_READY_MAX_LAG"),
            response_cache_mb=_whole_number(env, "POLARITY_RESPONSE_CACHE_MB", 32),
            projection_cache_rows=projection_cache_rows(env),
        )


def projection_cache_rows(environ: Mapping[str, str] | None = None) -> int:
    """The rows a projection runner may hold in memory (POLARITY_PROJECTION_CACHE_ROWS)."""
    env = os.environ if environ is None else environ
    return _positive_int(env, "POLARITY_PROJECTION_CACHE_ROWS", DEFAULT_PROJECTION_CACHE_ROWS)


def default_workers() -> int:
    """One worker per core this process may run on, at most MOST_DEFAULT_WORKERS: a worker's
    Python runs on one core at a time, so one per core lets requests use them all."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MOST_DEFAULT_WORKERS))


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than zero, not {value}")
    return value


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdecimal():
        raise SettingsError(f"{name} must be a whole number, 0 or more, not {raw!r}")
    return int(raw)


def _port(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"{name} must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


def _positive_seconds(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name} must be a number of seconds greater than zero, not {raw}")
    return value


def _log_format(env: Mapping[str, str]) -> str | None:
    raw = env.get("POLARITY_LOG_FORMAT", "").strip().lower()
    if raw and raw not in LOG_FORMATS:
        raise SettingsError(f"POLARITY_LOG_FORMAT must be 'json' or 'text', not {raw!r}")
    return raw or None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _projections(env: Mapping[str, str]) -> bool:
    mode = env.get("POLARITY_PROJECTIONS", "inline").strip().lower() or "inline"
    if mode not in ("inline", "off"):
        raise SettingsError(f"POLARITY_PROJECTIONS must be 'inline' or 'off', not {mode!r}")
    return mode == "inline"


def _rate(env: Mapping[str, str], name: str, default: Rate) -> Rate:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw == "off":
        return None
    count, _, unit = raw.partition("/")
    if not count.isdecimal() or int(count) < 1 or unit not in RATE_UNITS:
        raise SettingsError(
            f"{name} must be a number of requests per second, minute or hour, like 20/second, "
            f"or off; not {raw!r}"
        )
    return unit, int(count)
