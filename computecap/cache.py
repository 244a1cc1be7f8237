"""On-disk caches that make a second start cheap: parsed spec files and the unit registry.

One pickle holds ``{path: (mtime_ns, size, parsed dict)}``; an entry is used only while
the file's modification time and size are unchanged. Only the parsed TOML is cached:
validation runs on every start, so a bad file is reported every time. The cache lives
in ``$COMPUTECAP_CACHE_DIR`` (default ``$XDG_CACHE_HOME/computecap`` or
``~/.cache/computecap``); ``COMPUTECAP_CACHE_DIR=off`` disables it. Any problem reading
or writing it is ignored: the cache can only make a start faster, never fail it.
pint keeps its parsed definitions of ``units.txt`` in the ``pint/`` subfolder.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_FILE = "parsed-specs-v1.pickle"


def cache_dir() -> Path | None:
    """Where the cache lives, or None when disabled."""
    raw = os.environ.get("COMPUTECAP_CACHE_DIR")
    if raw is not None:
        return None if raw.lower() in ("", "off", "0", "no") else Path(raw)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "computecap"


class ParsedCache:
    """Parsed TOML keyed by path, reused while the file's mtime and size are unchanged."""

    def __init__(self, directory: Path | None):
        self.path = directory / _FILE if directory else None
        self.entries: dict[str, tuple[int, int, dict[str, Any]]] = {}
        self.dirty = False
        if self.path is not None:
            try:
                with open(self.path, "rb") as fh:
                    loaded = pickle.load(fh)
                if isinstance(loaded, dict):
                    self.entries = loaded
            except Exception:  # noqa: BLE001 -- missing, truncated or from another version: start empty
                self.entries = {}

    def get(self, path: Path, parse: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The parsed contents of ``path``, from the cache when it is still current."""
        try:
            st = path.stat()
        except OSError:
            return parse()  # let the parser report the problem
        key = str(path.resolve())
        hit = self.entries.get(key)
        if hit is not None and hit[0] == st.st_mtime_ns and hit[1] == st.st_size:
            return hit[2]
        data = parse()
        self.entries[key] = (st.st_mtime_ns, st.st_size, data)
        self.dirty = True
        return data

    def save(self) -> None:
        """Write the cache atomically if it changed; errors are ignored."""
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".parsed-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(self.entries, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass
