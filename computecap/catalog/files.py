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


def read_toml(path: Path, shown: str) -> dict[str, Any]:
    """Read a TOML file; a syntax error becomes one line naming the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecValidationError(f"{shown}: malformed TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecValidationError(f"{shown}: cannot read: {exc}") from None


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
