"""Domain errors: each carries a stable machine code and a sentence a person understands."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused; `code` is stable, `message` is for people, `field` names the input."""

    default_code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class InvalidInput(DomainError):
    """A value given to a command is malformed or out of range."""

    default_code = "INVALID_INPUT"


class RuleViolation(DomainError):
    """A command is well formed but breaks one of the domain's rules in the current state."""

    default_code = "RULE_VIOLATION"


def require_text(value: str | None, field: str, what: str) -> str:
    """Return `value` stripped, or refuse it when it is empty."""
    text = (value or "").strip()
    if not text:
        code = "REASON_REQUIRED" if field == "reason" else "REQUIRED"
        raise InvalidInput(f"{what} is required.", code=code, field=field)
    return text
