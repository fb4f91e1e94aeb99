"""The environment every benchmark sets before Django starts: the project on the import path, Django pointed at
a PostgreSQL database of the benchmark's own on 127.0.0.1 (so a benchmark never touches a database in use), and
quiet logs. Imported first by each script in bench/ (run as ``.venv/bin/python bench/NAME.py``, so bench/ is on
the import path), which then imports the project."""

import os
import socket
import subprocess
import sys
import time
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


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q", "-c", sql], check=True)


_templates: set[str] = set()


def remake_database(name: str) -> None:
    """Drop the database ``name`` and make it again, migrated, for a benchmark's next run.

    The first time in a process it is migrated and then kept as the template ``<name>_template``; every later
    time it is copied from that template (``CREATE DATABASE … TEMPLATE``), a fraction of a second instead of a
    migration's ten or more, which is what lets a smoke run of every benchmark fit in ``make test``.
    """
    from django.core.management import call_command
    from django.db import connection

    connection.close()  # neither the database nor its template may have a session open while copied
    template = f"{name}_template"
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if name in _templates:
        psql(f"CREATE DATABASE {name} TEMPLATE {template}")
        return
    psql(f"CREATE DATABASE {name}")
    call_command("migrate", verbosity=0)
    connection.close()
    psql(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
    psql(f"CREATE DATABASE {template} TEMPLATE {name}")
    _templates.add(name)


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1, for a process a benchmark starts (known before Django is set up)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(answer, what: str, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    """Call ``answer`` until it no longer raises ``OSError`` (a refused connection: ``requests``' errors are ones
    too), for at most ``timeout`` seconds; fail at once if ``process``, the server being waited for, has exited."""
    deadline = time.monotonic() + timeout
    while True:
        assert process is None or process.poll() is None, f"{what} exited ({process.returncode}) before it answered"
        try:
            answer()
            return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not answer within {timeout:.0f} s"
            time.sleep(0.1)
