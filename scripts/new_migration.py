"""`make migration m="…"`: autogenerates an Alembic migration from the models.

The message comes in through INFRASYNC_MIGRATION_MESSAGE, never pasted into code, so a
quote or a `$(…)` in it is just text.
"""

from __future__ import annotations

import os
import sys

from alembic import command

from infrasync.config import load_settings
from infrasync.db import alembic_config


def main() -> int:
    message = os.environ.get("INFRASYNC_MIGRATION_MESSAGE", "").strip()
    if not message:
        print('Say what the migration does: make migration m="add channels"', file=sys.stderr)
        return 2
    url = load_settings().effective_database_url
    command.revision(alembic_config(url), message=message, autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
