"""Backup and restore as docs/operations.md says (``pg_dump -Fc``, ``pg_restore`` into a fresh database, the media
files copied): the restored tracker has every deadline, notification and timeline event as before, its chains
verify, and the evidence files are there. PostgreSQL only: production's database."""

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import timedelta

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from incidents.services.actions import record_action
from notifications.enforcement import enforce

from ..processes import ROOT

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="backups are of PostgreSQL")

PSQL = ["-h", "127.0.0.1", "-U", "postgres"]
# What must come back as it was: each table's rows, by id.
CHECKED = {
    "incidents_obligation": "id, incident_id, kind, due_at, state, met_at, next_step_at",
    "notifications_notification": "id, obligation_id, step, recipient_id, channel, status, step_at, sent_at",
    "notifications_escalationentry": "id, obligation_id, step, recipient_id, acknowledged_at",
    "incidents_timelineevent": "id, incident_id, kind, at, detail, prev_hash, hash",
    "incidents_action": "id, incident_id, kind, published_at, evidence_file",
}


def rows(database) -> dict:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as db:
        return {
            table: db.execute(f"SELECT {columns} FROM {table} ORDER BY id").fetchall()
            for table, columns in CHECKED.items()
        }


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_dump_restored_into_a_fresh_database_has_everything_as_before(
    transactional_db, national_defaults, org, log, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    incident = log(discovered_at=now - timedelta(hours=6), now=now - timedelta(hours=6))
    record_action(
        incident,
        kind="statement",
        published_at=now - timedelta(hours=1),
        evidence_file=SimpleUploadedFile("情况通报.pdf", b"%PDF-1.4\n"),
        now=now,
    )
    enforce(now, deliver=lambda at: 0)
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "tracker.dump"

    # The backup: the database in PostgreSQL's custom format, and the media files.
    subprocess.run(["pg_dump", *PSQL, "-Fc", "-f", str(dump), source], check=True)
    shutil.copytree(settings.MEDIA_ROOT, tmp_path / "media-backup")
    # The restore: a fresh database, the dump into it, the media files back.
    subprocess.run(["dropdb", *PSQL, "--if-exists", restored], check=True)
    subprocess.run(["createdb", *PSQL, restored], check=True)
    try:
        subprocess.run(["pg_restore", *PSQL, "--no-owner", "-d", restored, str(dump)], check=True)
        shutil.copytree(tmp_path / "media-backup", tmp_path / "media-restored")

        before, after = rows(source), rows(restored)
        assert all(before[table] for table in CHECKED), "the data set has rows of every kind"
        assert after == before
        environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{restored}",
            "SECRET_KEY": "tests-only-not-a-secret",
        }
        verified = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"], cwd=ROOT, env=environment, capture_output=True, text=True
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        [(evidence,)] = [row[-1:] for row in after["incidents_action"]]
        assert digest(tmp_path / "media-restored" / evidence) == digest(settings.MEDIA_ROOT / evidence)
    finally:
        subprocess.run(["dropdb", *PSQL, "--if-exists", "--force", restored], check=True)
