"""structlog set-up: readable lines for a person, JSON lines when asked (--log-json)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(json_lines: bool = False, verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else logging.WARNING
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level if not json_lines else logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
