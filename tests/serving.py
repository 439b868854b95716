"""A real ``leaflet serve`` on 127.0.0.1 at a free port, for the HTTP and browser tests."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(folder: Path, *args: str, ready_within: float = 60.0) -> Iterator[str]:
    """Start ``leaflet serve`` (loopback only) with ``args``; yield its base URL; stop it."""
    port = free_port()
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    command = [sys.executable, "-m", "leaflet", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--log", str(folder / "issued.sqlite3"), *args]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"leaflet serve exited: {(folder / 'server.log').read_text()}")
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"leaflet serve did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
