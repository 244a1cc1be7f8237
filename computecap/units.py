"""The single unit registry of computecap.

Every quantity that crosses a public boundary is a ``pint.Quantity`` from ``ureg``.
The registry is built once per process from ``units.txt`` (no default pint definitions
are parsed; pint caches the parsed file, see ``computecap.cache``).
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from typing import Any

import pint

from computecap.cache import cache_dir, usable_dir
from computecap.errors import UnitsError

__all__ = ["DIMENSIONS", "Q_", "Quantity", "check", "describe_unit", "parse_quantity", "show", "unit", "ureg"]



def _registry() -> pint.UnitRegistry[Any]:
    """The package's own registry. It is never made pint's application registry, so importing
    computecap changes nothing in the host program. pint's definition cache is used only where
    it works: an unwritable or broken cache directory falls back to parsing ``units.txt``."""
    definitions = str(Path(__file__).with_name("units.txt"))
    folder = usable_dir(cache_dir())
    try:
        return pint.UnitRegistry(definitions, cache_folder=folder / "pint" if folder else None)
    except Exception:  # noqa: BLE001 -- a cache half-written by a parallel run, or a read-only one: no cache
        return pint.UnitRegistry(definitions)


ureg: pint.UnitRegistry[Any] = _registry()
ureg.formatter.default_format = "~P"
Q_ = ureg.Quantity
Quantity = pint.Quantity

#: Dimension names used in error messages and checks: name -> (pint dimensionality, example unit).
DIMENSIONS: dict[str, tuple[str, str]] = {
    "FLOP/s": ("[compute] / [time]", "TFLOP/s"),
    "FLOP": ("[compute]", "FLOP"),
    "bytes": ("[information]", "GB"),
    "bytes/s": ("[information] / [time]", "TB/s"),
    "W": ("[mass] * [length] ** 2 / [time] ** 3", "W"),
    "J": ("[mass] * [length] ** 2 / [time] ** 2", "MWh"),
    "area": ("[length] ** 2", "mm**2"),
    "USD": ("[currency]", "USD"),
    "USD/h": ("[currency] / [time]", "USD/h"),
    "time": ("[time]", "day"),
    "dimensionless": ("", ""),
}

_AMBIGUOUS_FLOPS = re.compile(r"FLOPs\b")
#: A number with thousands separators: 1,000 or 12,345.6 (a comma anywhere else is refused).
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?([eE][-+]?\d+)?$")
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@functools.lru_cache(maxsize=512)
def unit(text: str) -> Any:
    """Parsed (and cached) unit expression; hot paths convert with ``q.m_as(unit("FLOP/s"))``."""
    return ureg.parse_units(text)


def _quantity(text: str) -> pint.Quantity[Any]:
    """``"989.5 TFLOP/s"`` -> Quantity; the fast path parses the number and caches the unit."""
    m = _NUMBER_UNIT.match(text)
    if m:
        try:
            return Q_(float(m.group(1)), unit(m.group(2)) if m.group(2) else "")
        except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError, SyntaxError):
            pass  # e.g. "1 MW * 1 h": let the full expression parser decide
    q: pint.Quantity[Any] = Q_(text)
    return q if isinstance(q, pint.Quantity) else Q_(q, "")


def show(q: pint.Quantity[Any]) -> str:
    """``90 GB`` (not ``90.0 GB``): a quantity as a person would write it."""
    return f"{q.magnitude:g} {q.units:~P}".strip()


def describe_unit(q: Any) -> str:
    """A short human name for a quantity's dimension (e.g. ``TB/s`` -> ``bytes/s``)."""
    if not isinstance(q, pint.Quantity):
        return "a plain number"
    for name, (dim, _example) in DIMENSIONS.items():
        if q.check(dim) if dim else q.dimensionless:
            return name
    return f"{q.units:~P}" or "dimensionless"


def check(q: Any, expected: str, where: str) -> pint.Quantity[Any]:
    """Return ``q`` if it has the dimension named ``expected`` (a key of DIMENSIONS).

    Raises ``UnitsError`` whose message names ``where``, the expected and the actual unit.
    """
    dim, _ = DIMENSIONS[expected]
    if not isinstance(q, pint.Quantity):
        if expected == "dimensionless" and isinstance(q, (int, float)):
            return Q_(q, "")
        raise UnitsError(f"{where}: expected {expected}, got {describe_unit(q)}")
    ok = q.check(dim) if dim else q.dimensionless
    if not ok:
        if q.dimensionless:
            example = DIMENSIONS[expected][1]
            raise UnitsError(f"{where}: missing unit: expected {expected} (e.g. \"{q.magnitude:g} {example}\")")
        raise UnitsError(f"{where}: expected {expected}, got {q.units:~P} ({describe_unit(q)})")
    return q


def parse_quantity(text: str | float, expected: str, where: str) -> pint.Quantity[Any]:
    """Parse ``"989.5 TFLOP/s"`` into a Quantity of the dimension named ``expected``.

    Refuses the ambiguous ``FLOPs``, a missing unit where one is needed, non-finite values.
    """
    if isinstance(text, bool):
        raise UnitsError(f"{where}: expected {expected}, got a boolean")
    if isinstance(text, (int, float)):
        if expected != "dimensionless":
            example = DIMENSIONS[expected][1]
            raise UnitsError(f"{where}: missing unit: expected {expected} (e.g. \"{text} {example}\")")
        q = Q_(float(text), "")
    elif isinstance(text, str):
        if _AMBIGUOUS_FLOPS.search(text):
            raise UnitsError(f"{where}: 'FLOPs' is ambiguous; write FLOP (an amount) or FLOP/s (a rate): {text!r}")
        number = text.strip().split(" ")[0]
        if "," in number and not _THOUSANDS.match(number):
            raise UnitsError(f"{where}: {text!r} has a decimal comma or stray comma; write 1.5 (commas only "
                             f"as thousands separators, e.g. 1,000)")
        try:
            q = _quantity(text.replace(",", ""))
        except (pint.errors.PintError, SyntaxError, TypeError, ValueError, AttributeError) as exc:
            raise UnitsError(f"{where}: cannot read {text!r} as a quantity ({exc.__class__.__name__})") from None
    else:
        raise UnitsError(f"{where}: expected a string like \"1 {DIMENSIONS[expected][1]}\", got {type(text).__name__}")
    q = check(q, expected, where)
    if not math.isfinite(float(q.magnitude)):
        raise UnitsError(f"{where}: expected a finite number, got {text!r}")
    return q
