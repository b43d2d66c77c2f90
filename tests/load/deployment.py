"""deploy/run_replicas.sh driven from Python: start it, read the addresses it announces, stop it.

Used by tests/browser/test_replicas.py and benchmarks/bench_load.py. The script runs in
its own process group, which ``stop()`` ends (that group only).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "run_replicas.sh"


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


class Deployment:
    """deploy/run_replicas.sh running in its own process group; its announced addresses."""

    def __init__(self, run_dir: Path, replicas: int = 2, max_seconds: int = 900, redis: bool = False):
        self.run_dir = run_dir
        self.store_url = ""  # with redis=True, the class-room store the script started for the replicas
        self.process = subprocess.Popen(
            ["bash", str(SCRIPT), "--run-dir", str(run_dir), "--replicas", str(replicas),
             "--max-seconds", str(max_seconds), *(["--redis"] if redis else [])],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            # The replicas run on this interpreter (the test venv's), not whatever python3 is first on PATH.
            env={**os.environ, "PYTHON": sys.executable},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.replicas: dict[str, int] = {}  # "127.0.0.1:port" -> pid
        self.names: dict[str, str] = {}  # "127.0.0.1:port" -> its name in nginx.conf and the st_route cookie
        self.url = ""
        deadline = time.monotonic() + 180
        while not self.url:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("run_replicas.sh did not get ready:\n" + "".join(self.output)) from None
            if line.startswith("REPLICA "):
                _, index, address, pid = line.split()
                self.replicas[address.removeprefix("http://")] = int(pid)
                self.names[address.removeprefix("http://")] = f"replica{index}"
            elif line.startswith("REDIS "):
                self.store_url = line.split()[1]
            elif line.startswith("READY "):
                self.url = line.split()[1]
            elif self.process.poll() is not None and self.lines.empty():
                raise RuntimeError("run_replicas.sh exited:\n" + "".join(self.output))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line.strip())

    def replica_for(self, route: str) -> str:
        """The replica nginx sends a browser carrying the cookie ``st_route=route`` to."""
        request = urllib.request.Request(self.url + "/_stcore/health", headers={"Cookie": f"st_route={route}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers["X-Replica"]

    def routes(self) -> dict[str, str]:
        """One cookie value per replica: {replica address: route}. nginx names each replica (replica1, ...)
        and pins a browser whose cookie holds that name to it; this checks that it does."""
        for address, name in self.names.items():
            if self.answers(address):  # a stopped (or just restarted) replica is skipped for a few seconds
                tried = self.replica_for(name).split(", ")
                assert tried[-1] == address, (name, tried, address)
        return dict(self.names)

    @staticmethod
    def answers(address: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://{address}/_stcore/health", timeout=5):
                return True
        except OSError:
            return False

    def access_log(self) -> list[dict[str, str]]:
        pattern = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) route=(?P<route>\S*) '
                             r"(?:served=(?P<served>\S*) )?upstream=(?P<upstream>.*)$")
        return [m.groupdict() for line in (self.run_dir / "access.log").read_text().splitlines()
                if (m := pattern.search(line))]

    def sessions_per_replica(self) -> dict[str, int]:
        """How many websockets each replica took (from nginx's log; a websocket is logged when it closes)."""
        counts: dict[str, int] = {}
        for e in self.access_log():
            if e["path"].startswith("/_stcore/stream") and e["status"] == "101":
                counts[e["upstream"]] = counts.get(e["upstream"], 0) + 1
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this fixture started
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
