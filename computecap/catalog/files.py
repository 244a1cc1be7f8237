"""Where spec files live and how they are read: bundled data plus user directories."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from computecap.errors import SpecNotFoundError, SpecValidationError

ENV_VAR = "COMPUTECAP_SPECS"


def bundled_root() -> Path:
    """The bundled ``specs/`` directory (installed as ``computecap.specs``, or the repo's)."""
    try:
        root = Path(str(resources.files("computecap.specs")))
    except ModuleNotFoundError:  # running from a source checkout that is not installed
        root = Path(__file__).resolve().parents[2] / "specs"
    return root


def env_dirs() -> tuple[Path, ...]:
    """User spec directories named in ``$COMPUTECAP_SPECS`` (an os.pathsep-separated list)."""
    raw = os.environ.get(ENV_VAR, "")
    return tuple(Path(p) for p in raw.split(os.pathsep) if p)


def display_path(path: Path, root: Path) -> str:
    """``specs/chips/x.toml`` for bundled files, the path itself for user files."""
    try:
        return "specs/" + path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def spec_files(kind: str, user_dirs: Iterable[Path]) -> list[tuple[Path, str]]:
    """All ``*.toml`` files of ``kind`` (bundled first), as (path, display name) pairs.

    A user directory may hold the kind's subfolder (``DIR/chips/*.toml``) or, for
    convenience, the files directly when the directory itself is named after the kind.
    """
    root = bundled_root()
    out = [(p, display_path(p, root)) for p in sorted((root / kind).glob("*.toml"))]
    for d in user_dirs:
        if not d.is_dir():
            raise SpecValidationError(f"{d}: --specs/{ENV_VAR}: not a directory")
        sub = d / kind if (d / kind).is_dir() else (d if d.name == kind else None)
        if sub is not None:
            out += [(p, str(p)) for p in sorted(sub.glob("*.toml"))]
    return out


#: The largest spec file read [B]: the bundled ones are under 40 kB.
MAX_SPEC_BYTES = 4 << 20


def read_spec_bytes(path: Path, shown: str) -> bytes:
    """A spec file's bytes; a missing, unreadable or oversized file is one line naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecValidationError(f"{shown}: file too large ({size / 2**20:.1f} MiB; a spec file may have "
                                      f"at most {MAX_SPEC_BYTES >> 20} MiB)")
        with open(path, "rb") as fh:
            return fh.read(MAX_SPEC_BYTES + 1)
    except IsADirectoryError:
        raise SpecValidationError(f"{shown}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise SpecValidationError(f"{shown}: cannot read ({exc.strerror or exc})") from None


def parse_toml(data: bytes, shown: str) -> dict[str, Any]:
    """Parse TOML bytes; bad encoding, syntax or nesting becomes one line naming the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecValidationError(f"{shown}: not UTF-8 text (byte {exc.start}): TOML files must be UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecValidationError(f"{shown}: malformed TOML: {exc}") from None
    except RecursionError:
        raise SpecValidationError(f"{shown}: malformed TOML: arrays or tables nested too deeply") from None


def read_toml(path: Path, shown: str) -> dict[str, Any]:
    """Read and parse a TOML file (errors as one line naming the file)."""
    return parse_toml(read_spec_bytes(path, shown), shown)


def did_you_mean(name: str, candidates: Iterable[str] | Mapping[str, str]) -> str:
    """`` (did you mean 'h200'?)`` or an empty string.

    ``candidates`` may map each spelling (an alias) to the name to suggest for it.
    """
    canon = dict(candidates) if isinstance(candidates, Mapping) else {c: c for c in candidates}
    lower = {c.lower(): canon[c] for c in canon}
    close = difflib.get_close_matches(name.lower(), list(lower), n=5, cutoff=0.5)
    if not close:
        close = [c for c in lower if name.lower() in c]
    names = list(dict.fromkeys(lower[c] for c in close))[:3]
    return f" (did you mean {', '.join(repr(n) for n in names)}?)" if names else ""


def not_found(kind: str, name: str, candidates: Iterable[str] | Mapping[str, str], listing: str,
              where: str = "") -> SpecNotFoundError:
    """The error for an unknown name, with a did-you-mean and where to list the valid ones."""
    return SpecNotFoundError(f"unknown {kind} {name!r}{where}{did_you_mean(name, candidates)}; see `{listing}`")
