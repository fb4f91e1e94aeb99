"""Real processes for the tests that need them: Redis, Celery workers and beat, gunicorn.

Real processes cannot share a test's moved clock, so these tests use policies whose offsets are
seconds and wait by polling the database (or a socket) with a deadline, never by fixed sleeps.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def wait_for(condition, what: str, timeout: float = 60, every: float = 0.1):
    """Poll ``condition`` until it returns something true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Processes:
    """Starts named processes in their own session (so a signal reaches their children too) and logs each."""

    def __init__(self, log_dir: Path, env: dict):
        self.log_dir, self.env, self.running = log_dir, env, {}

    def start(self, name: str, *argv) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.running[name] = subprocess.Popen(
                [str(arg) for arg in argv],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        process = self.running.pop(name)
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def redis(self, port: int) -> None:
        self.start("redis", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
        wait_for(lambda: answers(port), "Redis to listen")

    def worker(self, name: str = "worker", queues: str = "enforcement,delivery") -> None:
        self.start(
            name,
            BIN / "celery",
            "-A",
            "opinion_tracker",
            "worker",
            "--queues",
            queues,
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}@%h",
        )

    def beat(self) -> None:
        self.start(
            "beat",
            BIN / "celery",
            "-A",
            "opinion_tracker",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            self.log_dir / "beat-schedule",
        )

    def gunicorn(self, port: int, *options) -> None:
        self.start(
            "gunicorn",
            BIN / "gunicorn",
            "opinion_tracker.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            2,
            *options,
        )
        wait_for(lambda: answers(port), "gunicorn to listen")
