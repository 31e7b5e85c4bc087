"""`ivig-cds store init|purge`: create the store, purge expired replay-cache entries."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from service.cli.config import add_config_option
from service.config import load_config
from service.store import Store


def add_store_parser(commands: Any) -> None:
    """Add `ivig-cds store init|purge`."""
    store = commands.add_parser("store", help="store maintenance")
    store_cmds = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    init = store_cmds.add_parser("init", help="create the store's tables if missing")
    add_config_option(init)
    init.set_defaults(handler=_store_init)
    purge = store_cmds.add_parser("purge", help="delete expired JWT ids of the replay cache")
    add_config_option(purge)
    purge.set_defaults(handler=_store_purge)


def _store_init(args: argparse.Namespace) -> int:
    """Create the store's schema."""
    config = load_config(args.config)
    Store(config.store_url()).create_schema()
    print("store ready", file=sys.stderr)
    return 0


def _store_purge(args: argparse.Namespace) -> int:
    """Delete expired replay-cache entries."""
    config = load_config(args.config)
    store = Store(config.store_url())
    store.create_schema()
    print(f"purged {store.purge_expired_jti()} expired token ids", file=sys.stderr)
    return 0
