"""Every benchmark under bench/ run at a tiny size (``--smoke``): it completes and its counts hold (each script
asserts its own), so none can rot unseen. Times are not judged here: they go in docs/benchmarks.md.

The benchmarks use PostgreSQL databases of their own on 127.0.0.1, whatever the suite's database is, so they run
once, in the PostgreSQL pass.
"""

import os
import re
import subprocess
import sys

import pytest
from django.db import connection

from ..processes import ROOT

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs once, in the PostgreSQL pass: benchmarks have their own databases"
)


def smoke(script, *arguments) -> str:
    """What ``bench/<script> --smoke`` printed; the test fails, with its output, if the script did."""
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    finished = subprocess.run(
        [sys.executable, f"bench/{script}", *arguments, "--smoke"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def test_the_enforcement_benchmarks_complete_at_a_tiny_size():
    printed = smoke("escalation.py")
    assert "burst of 80 obligations (160 rows), 2 pass(es) at once" in printed
    assert "by PostgreSQL alone, 2 connection(s) at once, with the foreign-key checks" in printed
    assert "idle pass over 1,000 open obligations" in printed
    assert "latency over 6 steps" in printed


def test_the_audit_chain_benchmarks_complete_at_a_tiny_size():
    printed = smoke("audit_chain.py")
    assert "burst of 80 obligations, 160 events, two passes at once, with the chain" in printed
    assert "4 writers at once, to one incident, with the chain" in printed
    assert "verify_audit over" in printed


def test_the_delivery_benchmarks_complete_at_a_tiny_size():
    printed = smoke("delivery.py")
    assert "inline, 300 webhook notifications" in printed
    assert "workers, 300 webhook notifications" in printed
    printed = smoke("delivery.py", "inline", "--channel", "email")
    assert "inline, 300 email notifications" in printed


# Postfix's smtp-sink as scripts/test.sh takes it out of Debian's package.
SMTP_SINK = ROOT / ".venv" / "postfix" / "usr" / "sbin" / "smtp-sink"


@pytest.mark.skipif(
    not SMTP_SINK.exists() and os.environ.get("CI") != "true", reason="Postfix's smtp-sink is not in .venv/postfix"
)
def test_the_delivery_benchmark_counts_mail_at_postfixs_smtp_sink():
    printed = smoke("delivery.py", "workers", "--channel", "email", "--smtp-sink", str(SMTP_SINK))
    assert "workers, 300 email notifications" in printed


def test_the_api_benchmarks_complete_at_a_tiny_size():
    printed = smoke("api.py")
    for measured in ("list (open, department subtree): 10 requests", "detail: 10 requests", "create: 10 requests"):
        assert measured in printed
    assert "compliance report" in printed
    assert "breaches list (first 101) in-process" in printed


def test_the_province_benchmarks_complete_at_a_tiny_size():
    printed = smoke("api.py", "--province")
    assert "list (open, department subtree): 10 requests" in printed
    for government in ("第1市人民政府", "某省人民政府"):
        for measured in ("compliance report", "ranking"):
            assert re.search(rf"^{measured} \d{{4}} of {government} over HTTP", printed, flags=re.MULTILINE)
        assert f"ranking of {government} in-process (30 departments)" in printed


def test_the_soak_completes_at_a_tiny_size_with_nothing_lost():
    printed = smoke("soak.py")
    for fault in ("SIGKILL worker-1", "企业微信 receiver takes each message", "Redis stopped", "Redis started again"):
        assert fault in printed
    assert "settled: nothing is pending and no step is still to come" in printed
    channels = dict(re.findall(r"^(email|in_app|robot \(\w+\)|sms): (expected .*)$", printed, flags=re.MULTILINE))
    assert set(channels) == {"email", "in_app", "robot (dingtalk)", "robot (wecom)", "sms"}
    for channel, counts in channels.items():
        assert "pending 0, lost 0," in counts, f"{channel}: {counts}"
    assert "## Problems\n\nnone\n" in printed
