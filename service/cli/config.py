"""`ivig-cds config show`, and the `--config FILE` option every command that reads configuration takes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from service.config import load_config


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """Add `--config FILE` to a command."""
    parser.add_argument(
        "--config", metavar="FILE", help="TOML configuration file (default: $IVIG_CDS_CONFIG)"
    )


def add_config_parser(commands: Any) -> None:
    """Add `ivig-cds config show`."""
    config = commands.add_parser("config", help="inspect the configuration")
    config_cmds = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = config_cmds.add_parser("show", help="print the effective configuration, secrets masked")
    add_config_option(show)
    show.set_defaults(handler=_config_show)


def _config_show(args: argparse.Namespace) -> int:
    """Print the effective configuration as JSON, secrets masked."""
    print(json.dumps(load_config(args.config).masked(), indent=2))
    return 0
