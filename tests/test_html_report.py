"""The HTML report: self-contained (no scripts, external files or network), escaped, with the figures
it claims; rendered in a real headless browser (Debian's chromium) without console errors, and its
screenshot shows tables and charts. In CI (CI=true) a missing chromium fails the test instead of skipping."""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from computecap.cli import cli
from computecap.errors import InputError, OutputError
from computecap.html_report import build_report, write_report

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"
SAMPLES = 300
SPECS = Path(__file__).resolve().parents[1] / "specs"


class _Page(HTMLParser):
    """Tags, attributes and text of a page, for structural checks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def count(self, tag: str) -> int:
        return sum(t == tag for t, _ in self.tags)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, ["china-h200-2026"], samples=SAMPLES, seed=0)
    return path


def test_self_contained_no_scripts_no_external_resources(report_file: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    page = _parse(text)
    for banned in ("script", "link", "iframe", "object", "embed"):
        assert page.count(banned) == 0, banned
    css = "".join(page.styles)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    images = [a["src"] for t, a in page.tags if t == "img"]
    assert len(images) == 5  # estimate and timeline of the scenario; tiers, roofline, controls
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert links and all(h.startswith(("https://", "http://", "#")) for h in links)


def test_report_holds_the_sections_and_the_checked_figures(report_file: Path) -> None:
    text = report_file.read_text(encoding="utf-8")
    page = _parse(text)
    assert page.count("table") == 9  # estimate, pipeline, 2 timeline, tiers, one per claim (4)
    for heading in ("China&#x27;s 2026 H200 approvals", "Chip tiers: H20, H200",
                    "The seed article's claims, checked", "Sources", "2022Q4", "2027Q4"):
        assert heading in text, heading
    assert f"{SAMPLES:,} samples, seed 0" in text and "computecap 0." in text
    # Hand-computed from the datasheets: 989.5 / 148 = 6.69 (dense BF16); 4.8 / 4.0 = 1.20 (HBM bandwidth);
    # $12bn / 400,000 = $30,000 per H200.
    assert "6.69x" in text and "1.20x" in text and "$30,000" in text
    # Every source of a tier chip is listed with its link.
    assert '<a href="https://www.nvidia.com/en-us/data-center/h200/">NVIDIA H200 Tensor Core GPU product page' in text
    assert len(re.findall(r"<li><a href=\"https?://", text)) >= 40


@pytest.mark.parametrize(("document", "href"), [
    ("GitHub epoch-research/training-cost-trends:data/Hardware prices.csv@263c40a159307e917213d1dc433c617e47d55bfe",
     ("https://github.com/epoch-research/training-cost-trends/blob/263c40a159307e917213d1dc433c617e47d55bfe/"
     "data/Hardware%20prices.csv")),
    ("arXiv:2506.12708 (Zuo et al., 2025)", "https://arxiv.org/abs/2506.12708"),
    ("NVIDIA DGX A100 User Guide DU-09821-001 (May 2020)", None),
])
def test_document_references_link_to_the_address_they_name(document: str, href: str | None) -> None:
    from computecap.catalog import Source
    from computecap.html_report import _href
    assert _href(Source(key="k", title="t", document=document)) == href


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scenarios": []}, "scenarios: expected one or more"),
    ({"scenarios": "china-h200-2026"}, "scenarios: expected one or more"),
    ({"samples": 0}, "samples"),
    ({"seed": -1}, "seed"),
    ({"as_of": "2026-01-01"}, "as_of: expected a date"),
])
def test_bad_arguments_raise_input_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        build_report(**kwargs)  # type: ignore[arg-type]


def test_unwritable_path_is_one_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        write_report(tmp_path / "no" / "r.html", ["us-frontier-2025"], samples=20)


def test_cli_report_escapes_spec_strings_and_drops_unsafe_links(runner: CliRunner, tmp_path: Path) -> None:
    raw = (SPECS / "scenarios" / "us-frontier-2025.toml").read_text(encoding="utf-8")
    raw = raw.replace('title = "US AI compute at end-2025', 'title = "<script>alert(1)</script> US AI', 1)
    raw = raw.replace('url = "https://epoch.ai/data/ai-chip-owners"', 'url = "javascript:alert(2)"', 1)
    evil = tmp_path / "evil.toml"
    evil.write_text(raw, encoding="utf-8")
    out = tmp_path / "r.html"
    res = runner.invoke(cli, ["report", "--scenario", str(evil), "--samples", "50", "--html", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; US AI by owner" in text
    assert 'href="javascript' not in text and "<li>Epoch AI, Data on AI Chip Owners" in text  # listed, unlinked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.toml", "r.html"]  # atomic: no temporary file left


def test_cli_report_option_errors(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["report", "--html", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and "expected an .html file name" in res.output
    res = runner.invoke(cli, ["report", "--scenario", "nope", "--samples", "20", "--html", str(tmp_path / "r.html")])
    assert res.exit_code == 1 and "unknown scenario 'nope'" in res.output


# ---------------------------------------------------------------------------- in a real browser
def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: CI must install it (.ci/run: apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")


def _browse(page: Path, tmp: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Run headless chromium on ``page`` with ``flags``; its console is logged to stderr."""
    # --no-sandbox: chromium's sandbox refuses root and needs user namespaces that CI containers often lack;
    # the page is our own local file.
    args = [_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}", "--enable-logging=stderr", "--v=0", *flags, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)


def _console(stderr: str) -> list[str]:
    """Console messages the page produced (chromium logs them as ``INFO:CONSOLE``)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_console_check_catches_a_page_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom')</script>", encoding="utf-8")
    res = _browse(page, tmp_path, "--dump-dom")
    assert any("boom" in line for line in _console(res.stderr)), res.stderr[-2000:]


def test_browser_renders_the_report_without_console_errors(report_file: Path, tmp_path: Path) -> None:
    res = _browse(report_file, tmp_path, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    assert _console(res.stderr) == []
    dom = res.stdout
    assert "<title>computecap report" in dom
    assert dom.count("<table") == 9 and dom.count("<img") == 5 and "<script" not in dom


def test_screenshot_shows_tables_and_charts(report_file: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread
    shot = tmp_path / "shot.png"
    res = _browse(report_file, tmp_path, f"--screenshot={shot}", "--window-size=1280,4000")
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    assert _console(res.stderr) == []
    data = shot.read_bytes()
    assert data.startswith(PNG) and _png_size(data) == (1280, 4000) and len(data) > 150_000
    img = imread(str(shot))[:, :, :3]
    ink = (img < 0.9).any(axis=2)
    assert 0.05 < ink.mean() < 0.6  # neither blank nor a solid block
    assert ink[:, :100].mean() < 0.01  # the page has margins: nothing spills to the left edge
    # Charts drawn: the estimate bars' blue (installed, #1f77b4) covers a visible area.
    blue = (abs(img - [0x1F / 255, 0x77 / 255, 0xB4 / 255]) < 0.03).all(axis=2)
    assert blue.sum() > 5_000
    # Tables drawn: the rules between table rows (#d9dee7, 1 px) run across at least 400 px, a dozen times or more.
    rule = (abs(img - [0xD9 / 255, 0xDE / 255, 0xE7 / 255]) < 0.006).all(axis=2)
    assert (rule.sum(axis=1) > 400).sum() >= 12
