"""Logging set-up that never writes a secret (the redaction rules live in ``app.core.keys``)."""

from __future__ import annotations

import logging

from app.core.keys import RedactingFilter, redact

__all__ = ["RedactingFilter", "install", "redact"]


def install(root: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of ``root``; handler filters also see
    records that propagate from child loggers, logger filters do not."""
    logger = root or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
