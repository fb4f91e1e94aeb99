"""The environment every benchmark sets before Django starts: the project on the import path, Django pointed at
a PostgreSQL database of the benchmark's own on 127.0.0.1 (so a benchmark never touches a database in use), and
quiet logs. Imported first by each script in bench/ (run as ``.venv/bin/python bench/NAME.py``, so bench/ is on
the import path), which then imports the project."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_database(name, **extra_env) -> str:
    """Set up Django on the database ``name``, with ``extra_env`` on top of the common settings; return its URL.

    Settings are read when Django is set up, so this must come before anything of the project is imported.
    The returned URL is for the processes a benchmark starts, which get the same database.
    """
    sys.path.insert(0, str(ROOT))
    database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-a-secret"),
            "DJANGO_SETTINGS_MODULE": "opinion_tracker.settings",
            "LOG_LEVEL": "WARNING",
            **extra_env,
        }
    )

    import django

    django.setup()
    return database_url
