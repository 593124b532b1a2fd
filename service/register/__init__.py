"""The DfE register of settings: where its files live, how they are read, and how they are stored."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def register_dir() -> Path:
    """The folder holding establishments.csv and links.csv: $REGISTER_DIR, else the shared development register."""
    configured = os.environ.get("REGISTER_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data" / "register"
