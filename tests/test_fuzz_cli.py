"""Fuzzing the command line: hostile option values end in a one-line error, never a traceback."""

from __future__ import annotations

import os

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from computecap.cli import cli

VALUES = ["0", "-1", "1", "1e400", "nan", "inf", "405B", "15.6T", "1.5", "40%", "0.3..0.5", "0.5..0.3", "",
          "H200", "h2o", "910B", "A100", "china-h200-2026", "nope.toml", "/", "ByteDance", "x" * 300, "..",
          "2026-01-01", "2026-13-45", "all", "installed,shipped", "gpt-4-scale", "llama-3.1-405b", "fp8", "💥"]
COMMANDS = {
    ("estimate",): ["--scenario", "--company", "--include", "--as-of", "--precision", "--h100e-basis", "--samples",
                    "--seed", "--reference-model", "--format"],
    ("train",): ["--model", "--params", "--active-params", "--tokens", "--chip", "--count", "--scenario", "--company",
                 "--cluster-size", "--precision", "--mfu", "--goodput", "--samples"],
    ("serve",): ["--model", "--chip", "--count", "--scenario", "--company", "--batch", "--context", "--precision",
                 "--efficiency"],
    ("chips", "compare"): ["--baseline", "--intensity", "--precision"],
    ("controls",): ["--rule"],
}


@settings(max_examples=int(os.environ.get("COMPUTECAP_FUZZ_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_traceback_for_hostile_options(data: st.DataObject) -> None:
    cmd = data.draw(st.sampled_from(sorted(COMMANDS)))
    opts = data.draw(st.lists(st.sampled_from(COMMANDS[cmd]), max_size=4, unique=True))
    args = list(cmd)
    if cmd in (("chips", "compare"), ("controls",)):
        args += data.draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2))
    for opt in opts:
        args += [opt, data.draw(st.sampled_from(VALUES))]
    if "--samples" not in args:
        args += ["--samples", "200"] if cmd[0] in ("estimate", "train", "serve") else []
    res = CliRunner().invoke(cli, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
    if res.exit_code:  # one "Error: ..." line last (click adds its usage lines above it for usage errors)
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert "Traceback" not in res.output and lines[-1].startswith("Error: "), (args, res.output)
