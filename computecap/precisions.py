"""The one vocabulary of numeric precisions: name, bit length, bytes per value.

Used by chip files (``peak_dense.<name>``), the engines (bytes per weight and KV value),
export controls (TPP bit length) and every CLI ``--precision`` choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from computecap.errors import InputError


@dataclass(frozen=True)
class Precision:
    """A number format: its bit length [bit], storage [B/value] and whether TPP counts it."""

    name: str
    bits: int
    bytes_per_value: float
    label: str
    counts_for_tpp: bool


#: Display order, widest first. TPP counts matrix (tensor) precisions only: vector FP64/FP32
#: and TF32 are excluded (BIS, 88 FR 73458, Technical Note to ECCN 3A090; specs/rules/README.md).
#: TF32 values are stored in 32-bit words.
_ALL = (
    Precision("fp64", 64, 8.0, "FP64 (vector)", False),
    Precision("fp64_tensor", 64, 8.0, "FP64 tensor", True),
    Precision("fp32", 32, 4.0, "FP32 (vector)", False),
    Precision("tf32", 19, 4.0, "TF32", False),
    Precision("bf16", 16, 2.0, "BF16", True),
    Precision("fp16", 16, 2.0, "FP16", True),
    Precision("fp8", 8, 1.0, "FP8", True),
    Precision("int8", 8, 1.0, "INT8", True),
    Precision("fp4", 4, 0.5, "FP4", True),
)
PRECISIONS: dict[str, Precision] = {p.name: p for p in _ALL}
#: Precision names in display order (the CLI's ``--precision`` choices).
NAMES: tuple[str, ...] = tuple(PRECISIONS)
#: Bit length of the multiply inputs of each precision that counts towards TPP [bit].
TPP_BIT_LENGTH: dict[str, int] = {p.name: p.bits for p in _ALL if p.counts_for_tpp}


def precision(name: object, argument: str = "precision") -> Precision:
    """The Precision called ``name``; InputError naming ``argument`` and the choices otherwise."""
    if not isinstance(name, str) or name not in PRECISIONS:
        raise InputError(f"{argument}: expected one of {', '.join(NAMES)}, got {name!r}")
    return PRECISIONS[name]
