"""``specwire models --remote PROVIDER``: the provider's own model list (its ``list_models``
operation, sent with the key from the environment), merged with the catalog: each row says
whether the provider listed the model (``listed``) and whether the catalog has it
(``in_catalog``, with its prices).  Catalog-only models are listed after the provider's."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["remote_models"]

_COLUMNS = ["model", "listed", "in_catalog", "context_window", "max_output_tokens", "display_name"]
_TITLES = {"context_window": "context", "max_output_tokens": "max out", "display_name": "name", "in_catalog": "catalog"}


def remote_models(args: argparse.Namespace, registry: Any) -> int:
    """Print the merged list (a table, or JSON with ``--json``); exit status 0, or 2 without a
    provider.  Errors (no key, no ``list_models`` in the spec, an HTTP error) propagate as
    :class:`~specwire.SpecwireError` for the CLI's one-line report."""
    from ..client import Client
    from .output import table

    if not args.provider:
        print("specwire: --remote needs a provider (specwire models --remote PROVIDER)", file=sys.stderr)
        return 2
    with Client(registry=registry) as client:
        listed = client.list_models(args.provider)
    if args.json:
        print(json.dumps([m.model_dump(mode="json") for m in listed], indent=2))
        return 0
    rows = [{"model": m.id, "listed": "yes" if m.listed else "no", "in_catalog": "yes" if m.in_catalog else "no", "context_window": m.context_window,
             "max_output_tokens": m.max_output_tokens, "display_name": m.display_name} for m in listed]
    print(table(rows, _COLUMNS, _TITLES))
    return 0
