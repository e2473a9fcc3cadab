"""``tnpu reproduce --report DIR``: one self-contained page, checked as HTML and rendered in a headless Chromium.

The browser test skips when no Chromium is installed, unless ``TNPU_REQUIRE_BROWSER=1`` (set by ``.ci/run``, which
installs Debian's chromium), where a missing browser fails the test instead.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tnpu import plots
from tnpu.cli import main
from tnpu.errors import ConfigError
from tnpu.report import REPORT_FILE, render_report, write_report

PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Tags, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html_text: str) -> _Page:
    page = _Page()
    page.feed(html_text)
    return page


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


def _images(page: _Page) -> list[bytes]:
    out = []
    for tag, attrs in page.tags:
        if tag == "img":
            src = attrs.get("src") or ""
            assert src.startswith("data:image/png;base64,")
            out.append(base64.b64decode(src.split(",", 1)[1], validate=True))
    return out


@pytest.fixture(scope="module")
def rep():
    from tnpu.reproduce import reproduce

    return reproduce(
        ["lenet5", "mpcnn"],
        batch=2,
        bandwidths=(4.0, 17.06),
        sweep_networks=("lenet5",),
        sweep_batch=2,
        memory="sampled",
    )


@pytest.fixture(scope="module")
def figures(rep):
    figs = plots.reproduce_figures(rep, batch=2)
    return {name: plots.png_bytes(fig) for name, fig in figs.items()}


def test_page_holds_the_tables_figures_and_assumptions(rep, figures):
    text = render_report(rep, figures)
    page = _parse(text)
    body = " ".join(page.text)
    # self-contained: nothing to fetch (no script, no link, no url(), every image inline)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed")
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith(("data:", "#")), (tag, key, value)
    assert "url(" not in text
    # the figures, each a PNG that decodes to the size it was drawn at
    images = _images(page)
    assert images == list(figures.values())
    for data in images:
        w, h = _png_size(data)
        assert w > 500
        assert h > 200
    # the tables: averages beside the paper's, one per network, the sweep, the presets, the overlap bound
    tables = sum(1 for tag, _ in page.tags if tag == "table")
    assert tables == 1 + 1 + 1 + 2 + 1  # averages, bound, presets, two networks, one sweep
    a, p = rep["average"], rep["paper"]
    assert f"{a['speedup_vs_dnpu']:.2f}x" in body
    assert f"{p['speedup_vs_dnpu']:.2f}x" in body
    assert f"{p['energy_reduction_vs_dnpu'] * 100:.1f} %" in body
    tnpu = rep["networks"]["mpcnn"]["presets"]["tnpu"]
    assert f"{tnpu['time_s'] * 1e3:.2f}" in body
    assert f"{tnpu['pu_c_util']:.3f}" in body
    busy = rep["networks"]["mpcnn"]["presets"]["dnpu"]["busy"]
    assert f"{1 / max(busy.values()):.2f}x" in body  # the bound, from DNPU's busy fractions
    # the assumptions, with the names the figures use
    # the sweep says its memory model and each point's memory system, and carries the points' intervals
    assert "Bandwidth sweep: memory sampled (95 % intervals of the sampling error only" in body
    assert "a x16 data bus instead of x64" in body
    assert "4.26" in body
    assert " ±" in body
    for words in ("sampled", "95 %", "MAC util", "Busy", "Why the speedups are lower", "Why the energy"):
        assert words in body
    for name in plots.FIGURE_FILES:
        assert name in body


def test_write_report_refuses_to_overwrite(rep, tmp_path: Path):
    out = tmp_path / "new" / "report"
    path = write_report(rep, out, {})
    assert path == out / REPORT_FILE
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    before = path.stat().st_mtime_ns
    with pytest.raises(ConfigError, match=r"index\.html: exists"):
        write_report(rep, out, {})
    assert path.stat().st_mtime_ns == before
    write_report(rep, out, {}, force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        write_report(rep, tmp_path / "file", {})
    assert [p.name for p in out.iterdir()] == [REPORT_FILE]  # no temporary file left behind


def test_report_cli_checks_the_directory_before_the_experiment(tmp_path: Path, capsys):
    argv = ["reproduce", "--networks", "lenet5", "--batch", "2", "--no-sweep", "--workers", "1"]
    out = tmp_path / "rep"
    out.mkdir()
    (out / REPORT_FILE).write_text("mine")
    assert main([*argv, "--report", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # failed before the experiment printed anything
    assert captured.err.startswith("tnpu reproduce: error: --report ")
    assert "index.html exists; pass --force" in captured.err
    assert (out / REPORT_FILE).read_text() == "mine"
    (tmp_path / "afile").write_text("x")
    assert main([*argv, "--report", str(tmp_path / "afile")]) == 1
    assert "is a file, expected a directory" in capsys.readouterr().err
    assert main([*argv, "--report", str(out), "--force"]) == 0
    assert "wrote" in capsys.readouterr().err
    assert (out / REPORT_FILE).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_report_renders_in_headless_chromium(tmp_path: Path, capsys):
    browser = _browser()
    if browser is None:
        if os.environ.get("TNPU_REQUIRE_BROWSER") == "1":
            pytest.fail("TNPU_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH (set TNPU_REQUIRE_BROWSER=1 to make this a failure)")
    out = tmp_path / "report"
    argv = ["reproduce", "--quick", "--networks", "lenet5", "mpcnn", "--report", str(out), "--quiet"]
    assert main(argv) == 0
    capsys.readouterr()
    page_path = out / REPORT_FILE
    text = page_path.read_text(encoding="utf-8")
    want = [_png_size(data) for data in _images(_parse(text))]
    assert len(want) == len(plots.FIGURE_FILES)

    # 1. the DOM Chromium built: the tables and the images are there
    dom = _run_browser(browser, tmp_path / "profile1", "--dump-dom", page_path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    built = _parse(dom.stdout)
    assert sum(1 for tag, _ in built.tags if tag == "table") >= 5
    assert sum(1 for tag, _ in built.tags if tag == "img") == len(want)
    assert "Ours beside the paper" in " ".join(built.text)

    # 2. every image decodes in the browser, at the size of its PNG (a copy of the page with a probe script)
    probe = tmp_path / "probe.html"
    script = (
        "<script>addEventListener('load', () => { const r = [...document.images].map(i => "
        "[i.complete, i.naturalWidth, i.naturalHeight]); const p = document.createElement('pre'); "
        "p.id = 'probe'; p.textContent = JSON.stringify(r); document.body.append(p); });</script>"
    )
    probe.write_text(text.replace("</body>", script + "</body>"), encoding="utf-8")
    dom = _run_browser(
        browser, tmp_path / "profile2", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout)
    assert found, dom.stdout[-2000:]
    decoded = json.loads(found.group(1))
    assert decoded == [[True, w, h] for w, h in want]

    # 3. a screenshot that is not blank: text, tables and figures put many colours on the page
    shot = tmp_path / "shot.png"
    res = _run_browser(
        browser,
        tmp_path / "profile3",
        "--hide-scrollbars",
        "--window-size=1300,4000",
        f"--screenshot={shot}",
        page_path.as_uri(),
    )
    assert res.returncode == 0, res.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        assert rgb.size == (1300, 4000)
        pixels = np.asarray(rgb.resize((260, 800))).reshape(-1, 3)
    non_white = float((pixels.min(axis=1) < 235).mean())
    assert non_white > 0.05
    assert len(np.unique(pixels, axis=0)) > 200
