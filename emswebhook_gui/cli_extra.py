"""CLI commands of the condition language and delivery features (registered by ``cli``)."""

from __future__ import annotations

import argparse


def register(commands, listing: argparse.ArgumentParser) -> None:
    """Add later features' subcommands to the ``emswebhook`` parser."""
