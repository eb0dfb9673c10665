"""The `qa` command line. Each qa/cli_*.py module registers its commands on the shared app;
this module only gathers them. Heavy libraries are imported inside the stages, so `qa --help`
answers at once."""

from __future__ import annotations

from qa import cli_chat, cli_eval, cli_ingest, cli_query, cli_store  # noqa: F401  (they register commands)
from qa.cli_app import app

__all__ = ["app"]
