"""On-disk caches that make a second start cheap: parsed spec files and the unit registry.

One pickle holds ``{path: (content digest, parsed dict)}``; an entry is used only while the
file's bytes are unchanged (an edit that keeps size and modification time, as ``cp -p`` or
``tar x`` leave it, is still seen). Only the parsed TOML is cached: validation runs on
every start, so a bad file is reported every time. Entries whose file is gone are pruned.
The cache lives in ``$COMPUTECAP_CACHE_DIR`` (default ``$XDG_CACHE_HOME/computecap`` or
``~/.cache/computecap``); ``COMPUTECAP_CACHE_DIR=off`` disables it. The cache is an
optimisation only: a missing or read-only home, an unwritable directory, a file in its place,
a corrupt pickle or parallel first runs never fail a start.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_FILE = "parsed-specs-v2.pickle"


def cache_dir() -> Path | None:
    """Where the cache lives, or None when disabled or when no home directory can be found."""
    raw = os.environ.get("COMPUTECAP_CACHE_DIR")
    if raw is not None:
        return None if raw.lower() in ("", "off", "0", "no") else Path(raw)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry
            return None
    return Path(base) / "computecap"


def usable_dir(directory: Path | None) -> Path | None:
    """``directory`` if it exists (or can be made) and is writable, else None."""
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return directory if os.access(directory, os.W_OK | os.X_OK) else None
    except (OSError, ValueError):
        return None


def digest(data: bytes) -> bytes:
    """Content key of a file's bytes."""
    return hashlib.blake2b(data, digest_size=16).digest()


class ParsedCache:
    """Parsed TOML keyed by path, reused while the file's content digest is unchanged."""

    def __init__(self, directory: Path | None):
        self.path = directory / _FILE if directory else None
        self.entries: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self.dirty = False
        if self.path is not None:
            try:
                with open(self.path, "rb") as fh:
                    loaded = pickle.load(fh)
                if isinstance(loaded, dict):
                    self.entries = loaded
            except Exception:  # noqa: BLE001 -- missing, truncated, unreadable or from another version
                self.entries = {}

    def get(self, path: Path, data: bytes, parse: Callable[[bytes], dict[str, Any]]) -> dict[str, Any]:
        """The parsed contents of ``path`` (whose bytes are ``data``), from the cache when current."""
        key = str(path.resolve())
        tag = digest(data)
        hit = self.entries.get(key)
        if isinstance(hit, tuple) and len(hit) == 2 and hit[0] == tag:
            return hit[1]
        parsed = parse(data)
        self.entries[key] = (tag, parsed)
        self.dirty = True
        return parsed

    def save(self) -> None:
        """Write the cache atomically if it changed, pruning files that are gone; errors are ignored."""
        if self.path is None or not self.dirty:
            return
        tmp = None
        try:
            self.entries = {k: v for k, v in self.entries.items() if os.path.exists(k)}
            directory = usable_dir(self.path.parent)
            if directory is None:
                return
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".parsed-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(self.entries, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            tmp = None
            self.dirty = False
        except Exception:  # noqa: BLE001 -- the cache is an optimisation only: keep it in memory
            self.dirty = True
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
