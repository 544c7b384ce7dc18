"""Email addresses: syntax validation and normalisation with email-validator.

No deliverability check: that needs DNS (I/O, and slow in a form), and the
server decides anyway. Normalisation is email-validator's: the domain is
lower-cased (and IDNA-normalised), the local part is kept as typed, since
it may be case-sensitive on the receiving server.
"""

from __future__ import annotations

from dataclasses import dataclass


class InvalidEmail(ValueError):
    """An address that is not valid; ``str(exc)`` is a sentence for the user."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw


@dataclass(frozen=True)
class EmailCheck:
    """Outcome of ``check_email``: either ``normalized`` or an ``error`` sentence."""

    raw: str
    normalized: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        """The address is valid."""
        return self.normalized is not None


def check_email(raw: str) -> EmailCheck:
    """Validate and normalise ``raw`` without raising; for inline validation.
    Surrounding whitespace (a common paste artefact) is ignored."""
    text = raw.strip()
    if not text:
        return EmailCheck(raw, None, "Enter an email address.")
    # Imported here: ~30 ms the first screen does not need (warmed after it, bootstrap).
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailCheck(raw, None, f"“{text}” is not a valid email address. {exc}")
    return EmailCheck(raw, result.normalized, None)


def normalize_email(raw: str) -> str:
    """``raw`` normalised, or ``InvalidEmail`` with a sentence saying what is wrong."""
    result = check_email(raw)
    if result.normalized is None:
        raise InvalidEmail(result.error or "Not a valid email address.", raw)
    return result.normalized


def email_key(address: str) -> str:
    """A key for matching addresses (dedupe, lookups): trimmed and case-folded.

    Folding the local part is not strictly right (RFC 5321), but no mail
    provider in practice treats ``Jane@`` and ``jane@`` as two people."""
    return address.strip().casefold()


__all__ = ["EmailCheck", "InvalidEmail", "check_email", "email_key", "normalize_email"]
