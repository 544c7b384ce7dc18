"""Logging that never writes a secret: a filter masks anything shaped like a key."""

from __future__ import annotations

import logging
import re

# Seedly keys, webhook secrets, bearer/token headers, Seamless-style long tokens.
_PATTERNS = (
    re.compile(r"\b(sk_(?:agency_)?(?:live|test)_)[A-Za-z0-9_\-]{4,}"),
    re.compile(r"\b(whsec_)[A-Za-z0-9_\-]{4,}"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._\-~+/]{8,}=*"),
    re.compile(r"(?i)\b(token[=:]\s*)[A-Za-z0-9._\-~+/]{8,}=*"),
)


def redact(text: str) -> str:
    """``text`` with every key-shaped token replaced by its prefix and ``***``."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (arguments included) through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(root: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``root`` (filters on handlers see child records)."""
    logger = root or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
