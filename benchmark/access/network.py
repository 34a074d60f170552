"""Facts about the network the database holds: its name, and whether it is the synthetic demo."""

from __future__ import annotations

from benchmark.db import Database

DEFAULT_NETWORK_NAME = "DSCO regional network"
SYNTHETIC_LABEL = "Synthetic demo data: invented figures for a realistic network, not real returns."


def network_name(db: Database) -> str:
    return db.setting("network_name", DEFAULT_NETWORK_NAME) or DEFAULT_NETWORK_NAME


def is_demo(db: Database) -> bool:
    return db.setting("demo") == "true"
