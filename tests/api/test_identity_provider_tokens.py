"""Tokens from an OpenID Connect issuer, over HTTP: the service fetches the keys of a provider
that the test serves on localhost, accepts its RS256 and ES256 tokens with the roles and name
in the configured claims, refuses what it must with a 401 that says why, and follows a key
rotation without letting unknown key ids hammer the provider."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from service.database import Database
from service.identity import ProviderMetadata
from service.settings import Settings, SettingsError
from service.web import create_app, create_token
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.identity_provider import API_AUDIENCE, CLIENT_ID, Provider, rsa_key, serve

VIEWER = {"query": "{ viewer { id roles name } }"}
REFRESH_SECONDS = 1.0  # how often the service may fetch the keys again for an unknown key id


def issuer_settings(provider: Provider, **changes: Any) -> Settings:
    """The test settings, trusting `provider` (roles in Keycloak's realm_access.roles)."""
    trusting = replace(
        TEST_SETTINGS,
        jwt_issuer=provider.issuer,
        jwt_audience=API_AUDIENCE,
        jwt_roles_claim="realm_access.roles",
        jwks_refresh_seconds=REFRESH_SECONDS,
    )
    return replace(trusting, **changes)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with serve() as running:
        yield running


@pytest.fixture(scope="module")
def api(provider: Provider, database: Database) -> Iterator[Client]:
    with serving(issuer_settings(provider), database) as client:
        yield client


def viewer(api: Client, token: str) -> dict[str, Any]:
    response = api.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["data"]["viewer"]
    return found


def refusal(api: Client, token: str) -> str:
    """Why a request with `token` was refused, which must be a 401."""
    response = api.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    detail: str = response.json()["detail"]
    return detail


def unsigned(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A token put together by hand, signed by `sign(signing_input)` or not at all."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def claims_of(provider: Provider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": provider.issuer, "aud": API_AUDIENCE, "sub": "mallory", "exp": now + 300}
    return {**claims, "iat": now, "realm_access": {"roles": ["admin"]}, **changes}


# Accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_of_the_issuer_is_accepted_with_the_roles_and_name_of_its_claims(
    api: Client, provider: Provider, algorithm: str
) -> None:
    token = provider.token(algorithm=algorithm)

    seen = viewer(api, token)

    assert seen == {
        "id": provider.person.sub,
        "roles": ["STEWARD", "AUDITOR"],
        "name": "Priya Shah",
    }


def test_roles_polarity_does_not_know_are_ignored_and_logged_at_debug(
    api: Client, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    token = provider.token(realm_access={"roles": ["uma_authorization", "sponsor"]})

    with caplog.at_level(logging.DEBUG, logger="polarity.identity"):
        seen = viewer(api, token)

    assert seen["roles"] == ["SPONSOR"]
    assert any("uma_authorization" in record.getMessage() for record in caplog.records)


def test_a_token_of_the_issuer_without_roles_signs_in_a_person_who_may_only_read_their_name(
    api: Client, provider: Provider
) -> None:
    token = provider.token(realm_access={}, name="  ")

    assert viewer(api, token) == {"id": provider.person.sub, "roles": [], "name": None}


def test_the_development_secret_still_signs_tokens_beside_the_issuer(api: Client) -> None:
    response = api.post("/graphql", json=VIEWER, headers=bearer("alice", "steward"))

    assert response.json()["data"]["viewer"] == {"id": "alice", "roles": ["STEWARD"], "name": None}


def test_a_command_records_the_issuer_s_person_as_who_acted(
    api: Client, provider: Provider
) -> None:
    mutation = """mutation($input: ImprovementItemRaiseInput!) {
      improvementItemRaise(input: $input) { improvementItem { raisedBy } userErrors { code } }
    }"""
    token = provider.token(realm_access={"roles": ["contributor"]})
    variables = {"input": {"title": "Badge readers", "problem": "slow", "area": "Site"}}

    response = api.post(
        "/graphql",
        json={"query": mutation, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.json()["data"]["improvementItemRaise"] == {
        "improvementItem": {"raisedBy": provider.person.sub},
        "userErrors": [],
    }


# Refused -----------------------------------------------------------------------------------


def test_a_token_from_another_issuer_is_refused(api: Client, provider: Provider) -> None:
    token = provider.token(issuer="http://localhost:1/elsewhere")

    assert refusal(api, token) == f"Invalid token: it was not issued by {provider.issuer}"


def test_a_token_for_another_audience_is_refused(api: Client, provider: Provider) -> None:
    token = provider.token(audience="some-other-service")

    assert refusal(api, token) == (
        f"Invalid token: it is not meant for this service (audience {API_AUDIENCE!r})"
    )


def test_several_audiences_may_be_accepted(provider: Provider, database: Database) -> None:
    settings = issuer_settings(provider, jwt_audience=f"{API_AUDIENCE}, {CLIENT_ID}")

    with serving(settings, database) as api:
        assert viewer(api, provider.token(audience=CLIENT_ID))["name"] == "Priya Shah"
        assert viewer(api, provider.token(audience=API_AUDIENCE))["name"] == "Priya Shah"
        assert refusal(api, provider.token(audience="elsewhere")) == (
            "Invalid token: it is not meant for this service "
            f"(audience {API_AUDIENCE!r} or {CLIENT_ID!r})"
        )


def test_an_expired_token_of_the_issuer_is_refused(api: Client, provider: Provider) -> None:
    token = provider.token(lifetime=-10)  # inside the clock-skew leeway: still expired

    assert refusal(api, token) == "Invalid token: it has expired"


def test_a_token_signed_with_alg_none_is_refused(api: Client, provider: Provider) -> None:
    token = unsigned({"alg": "none", "typ": "JWT"}, claims_of(provider))

    assert refusal(api, token) == (
        "Invalid token: it is signed with 'none'; this service accepts RS256 or ES256 from "
        f"{provider.issuer} and HS256 signed with this service's secret"
    )


def test_an_hs256_token_keyed_with_the_issuer_s_public_key_is_refused(
    api: Client, provider: Provider
) -> None:
    public = (
        provider.key("RS256")
        .private.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": provider.key("RS256").kid}
    token = unsigned(header, claims_of(provider), lambda data: hmac.digest(public, data, "sha256"))

    assert refusal(api, token) == (
        f"Invalid token: a token from {provider.issuer} must be signed with RS256 or ES256, "
        "not HS256"
    )


def test_a_token_signed_with_the_ec_key_but_claiming_rs256_is_refused(
    api: Client, provider: Provider
) -> None:
    ec = provider.key("ES256")
    genuine = provider.token(algorithm="ES256")
    _, claims, signature = genuine.split(".")
    forged_header = base64.urlsafe_b64encode(
        json.dumps({"alg": "RS256", "kid": ec.kid}).encode()
    ).rstrip(b"=")

    detail = refusal(api, f"{forged_header.decode()}.{claims}.{signature}")

    assert detail == f"Invalid token: key {ec.kid!r} is for ES256, and the token says RS256"


def test_an_unknown_key_id_is_refused_after_one_refetch_and_a_flood_of_them_fetches_no_more(
    api: Client, provider: Provider
) -> None:
    viewer(api, provider.token())  # the keys are fetched
    time.sleep(REFRESH_SECONDS + 0.2)  # the last fetch is older than the refresh interval
    before = provider.jwks_fetches
    stranger = rsa_key("stranger")

    detail = refusal(api, provider.token(key=stranger))

    assert detail == (
        f"Invalid token: {provider.issuer} has no key 'stranger', even after its keys were "
        "fetched again"
    )
    assert provider.jwks_fetches == before + 1
    for number in range(50):  # within the refresh interval: refused without asking again
        forged = unsigned({"alg": "RS256", "kid": f"made-up-{number}"}, claims_of(provider))
        assert "has no key" in refusal(api, forged)
    assert provider.jwks_fetches == before + 1


# Key rotation ------------------------------------------------------------------------------


def test_after_a_key_rotation_a_token_with_the_new_key_is_accepted_and_the_old_key_refused(
    database: Database,
) -> None:
    with serve() as provider, serving(issuer_settings(provider), database) as api:
        retired = provider.key("RS256")
        assert viewer(api, provider.token())["id"] == provider.person.sub
        fetches = provider.jwks_fetches

        new = provider.rotate()
        time.sleep(REFRESH_SECONDS + 0.2)

        assert viewer(api, provider.token(key=new))["roles"] == ["STEWARD", "AUDITOR"]
        assert provider.jwks_fetches == fetches + 1
        assert "has no key" in refusal(api, provider.token(key=retired))


# Production and outages --------------------------------------------------------------------


def test_production_with_an_issuer_refuses_tokens_signed_with_the_secret_unless_allowed(
    database: Database,
) -> None:
    with serve() as provider:
        production = replace(
            issuer_settings(provider), environment="production", jwt_roles_claim="roles"
        )
        with serving(production, database) as api:
            secret_token = create_token(TEST_SETTINGS, "alice", ["steward"])
            assert refusal(api, secret_token) == (
                "Invalid token: it is signed with HS256; this service accepts RS256 or ES256 "
                f"from {provider.issuer}"
            )
            assert viewer(api, provider.token())["roles"] == ["STEWARD", "AUDITOR"]
        with serving(replace(production, jwt_allow_hs256=True), database) as api:
            assert viewer(api, secret_token)["id"] == "alice"


def test_an_issuer_that_cannot_be_reached_is_a_503_that_says_so(database: Database) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
    settings = replace(TEST_SETTINGS, jwt_issuer=gone, jwt_audience=API_AUDIENCE)
    provider = Provider()
    provider.issuer = gone

    with serving(settings, database) as api:
        response = api.post(
            "/graphql", json=VIEWER, headers={"Authorization": f"Bearer {provider.token()}"}
        )

    assert response.status_code == 503
    assert response.json()["detail"] == (
        f"The identity provider {gone} cannot be reached to check the token"
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"POLARITY_JWT_ISSUER": "https://id.example.org/realms/acme"}, "POLARITY_JWT_AUDIENCE"),
        ({"POLARITY_JWT_AUDIENCE": "polarity-api"}, "needs POLARITY_JWT_ISSUER"),
        ({"POLARITY_OIDC_CLIENT_ID": "polarity-portal"}, "needs POLARITY_JWT_ISSUER"),
        (
            {"POLARITY_JWT_ISSUER": "id.example.org", "POLARITY_JWT_AUDIENCE": "polarity"},
            "must be an http",
        ),
    ],
)
def test_an_issuer_configured_by_halves_stops_the_service_with_the_reason(
    environment: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app(Settings.from_env(environment))


def test_the_discovery_document_must_name_the_configured_issuer() -> None:
    document = {"issuer": "https://elsewhere.example.org", "jwks_uri": "https://x/jwks"}

    with pytest.raises(ValueError, match="names issuer"):
        ProviderMetadata.read(document, "https://id.example.org")
