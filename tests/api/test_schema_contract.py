"""The committed SDL is the contract: the code's schema may not drift from it unnoticed."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema
from service.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_the_schema_in_code_matches_the_committed_sdl() -> None:
    in_code = build_schema(Settings()).as_str().strip()

    assert in_code == COMMITTED.read_text().strip(), (
        "The GraphQL schema changed. If that is intended, run "
        "`.venv/bin/python -m schema > schema/schema.graphql` and commit the result."
    )


def test_every_mutation_takes_one_input_and_returns_a_payload_with_user_errors() -> None:
    schema = build_schema(Settings())._schema
    mutation = schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        assert list(field.args) == ["input"], name
        payload = schema.get_type(str(field.type).rstrip("!"))
        assert payload is not None
        assert "userErrors" in payload.fields, name  # type: ignore[attr-defined]
        assert {"version", "position"} <= set(payload.fields), name  # type: ignore[attr-defined]
