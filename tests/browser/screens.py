"""Screenshots of the browser tests: saved as test artefacts and checked not to be blank.

The pixels are read back by the same Chromium (a canvas in a blank tab), so no image
library is needed: a page counts as blank when it has fewer than ``MIN_COLOURS`` distinct
colours or its brightness barely varies (standard deviation under ``MIN_STDDEV``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from demo_plane import REPO
from playwright.sync_api import BrowserContext, Page

ARTIFACTS = REPO / ".servingops" / "artifacts" / "browser"
"""Where the screenshots go (gitignored with the rest of .servingops/)."""
MIN_COLOURS = 16
MIN_STDDEV = 8.0
_STATS_JS = """async (b64) => {
  const img = new Image();
  img.src = "data:image/png;base64," + b64;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const colours = new Set();
  let sum = 0, sum2 = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const v = (d[i] * 299 + d[i + 1] * 587 + d[i + 2] * 114) / 1000;
    sum += v; sum2 += v * v; n += 1;
    if (colours.size < 4096) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  const mean = sum / n;
  return {width: canvas.width, height: canvas.height, colours: colours.size,
          stddev: Math.sqrt(Math.max(0, sum2 / n - mean * mean))};
}"""


@dataclass
class PixelStats:
    """Size (pixels), distinct colours (capped at 4096) and brightness deviation (0-255)."""

    width: int
    height: int
    colours: int
    stddev: float

    @property
    def blank(self) -> bool:
        """True for an empty-looking image (one flat colour, or nearly)."""
        return self.colours < MIN_COLOURS or self.stddev < MIN_STDDEV


def pixel_stats(context: BrowserContext, png: bytes) -> PixelStats:
    """Decode ``png`` in a blank tab of ``context`` and measure it."""
    tab = context.new_page()
    try:
        found = tab.evaluate(_STATS_JS, base64.b64encode(png).decode())
    finally:
        tab.close()
    return PixelStats(**found)


def shoot(page: Page, folder: Path, name: str) -> PixelStats:
    """Save a full-page screenshot as ``folder/name.png``; fail if it looks blank."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    png = page.screenshot(path=str(path), full_page=True)
    stats = pixel_stats(page.context, png)
    assert not stats.blank, f"{path} looks blank: {stats}"
    return stats
