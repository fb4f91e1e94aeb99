"""schemathesis over the whole OpenAPI schema, against gunicorn serving the demo organisation.

Every operation gets generated requests, valid and invalid, as an administrator (who may call them
all); the run fails on any 5xx and on any answer the schema does not describe: its status code,
content type, headers or body. Examples are bounded per operation to keep the run near a minute.
"""

import os
import subprocess

import pytest
from django.db import connection

from ..mail import free_port
from ..processes import BIN, ROOT, Processes

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="runs once, in the SQLite pass: the server has its own database"
)
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
CHECKS += "response_schema_conformance"
EXAMPLES_PER_OPERATION = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261123")


def manage(env, *argv) -> str:
    done = subprocess.run(
        [BIN / "python", "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_no_answer_breaks_the_schema_and_none_is_a_server_error(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": "schemathesis",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    token = manage(env, "drf_create_token", "admin").split()[2]
    port = free_port()
    processes = Processes(tmp_path, env)
    # No request-line limit: the application's answers are under test, not gunicorn's own 414.
    processes.gunicorn(port, "--limit-request-line", 0)
    try:
        run = subprocess.run(
            [
                BIN / "schemathesis",
                "run",
                f"http://127.0.0.1:{port}/api/v1/schema/",
                "--header",
                f"Authorization: Token {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                EXAMPLES_PER_OPERATION,
                "--phases",
                "examples,coverage,fuzzing",
                "--seed",
                SEED,
                "--no-shrink",
                "--workers",
                "2",
                "--output-truncate",
                "false",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        processes.stop_all()
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "passed" in run.stdout
    assert "Traceback" not in processes.log("gunicorn")
