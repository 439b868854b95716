"""The service's settings: one frozen object, passed to :func:`leaflet.service.app.create_app`.

``leaflet serve`` puts them in the environment as JSON (``LEAFLET_SERVICE_SETTINGS``) so that each of
uvicorn's worker processes builds the same app from them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

ENV = "LEAFLET_SERVICE_SETTINGS"


@dataclass(frozen=True)
class Settings:
    """What a pharmacy configures; every field has a safe default."""

    content_dirs: tuple[Path, ...] = ()  # extra content folders, searched before the shipped one
    pharmacy: Path | None = None  # the branding file printed on every leaflet this service issues
    log_path: Path = Path("leaflet-issued.sqlite3")  # the issued-leaflet log
    store_patient_text: bool = False  # keep names, directions and notes in the log (for reprints)
    max_body_bytes: int = 64 * 1024  # a request body larger than this is refused (413)
    max_in_flight: int = 32  # requests waiting for or in a build, per process; more get 503
    retry_after_seconds: int = 2  # what a 503 tells the client to wait
    # Host headers answered: loopback names only, so a web page cannot reach the service through DNS
    # rebinding; ("*",) when it listens on a network (behind a proxy that checks hosts)
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    preview_dpi: int = 100  # the counter page's preview of page 1 (legible at a tablet's width)

    def to_json(self) -> str:
        data = asdict(self)
        data["content_dirs"] = [str(p) for p in self.content_dirs]
        data["pharmacy"] = str(self.pharmacy) if self.pharmacy else None
        data["log_path"] = str(self.log_path)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["content_dirs"] = tuple(Path(p) for p in data.get("content_dirs", ()))
        data["pharmacy"] = Path(data["pharmacy"]) if data.get("pharmacy") else None
        data["log_path"] = Path(data.get("log_path") or cls.log_path)
        data["allowed_hosts"] = tuple(data.get("allowed_hosts") or cls.allowed_hosts)
        return cls(**data)

    @classmethod
    def from_env(cls) -> Settings:
        text = os.environ.get(ENV)
        return cls.from_json(text) if text else cls()
