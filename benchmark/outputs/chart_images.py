"""PNG images of plotly figures for the PDF pack, drawn by one headless Chromium kept for the whole process.

kaleido draws each figure in a browser tab. It runs here on an event loop of its own, in a thread of its own, and
every request gets a future of its own image, so packs rendered at once (two chairs, or a network pack and an
external one) can never receive each other's charts.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from concurrent.futures import Future

import kaleido

TABS = 2  # charts drawn side by side; a pack asks for all of its charts at once
RELOAD_EVERY = 200  # charts a tab draws before it is reloaded, so that nothing can build up in it
SCALE = 1.2  # pixels per layout pixel: sharp on paper at the size the PDF prints a chart
TIMEOUT_SECONDS = 90  # kaleido's own limit for one chart


class _ReusingKaleido(kaleido.Kaleido):
    """kaleido reloads a tab's page (and plotly.js with it) after every chart: about 0.2 s a chart, four fifths
    of a pack's chart time. plotly draws each image in an element of its own and purges it, so the page is
    reloaded only every RELOAD_EVERY charts; the images are byte for byte the same (tests/outputs/test_chart_images.py).
    """

    def __init__(self) -> None:
        # No MathJax: kaleido would fetch it from a CDN, and nothing may download at run time.
        super().__init__(n=TABS, timeout=TIMEOUT_SECONDS, mathjax=False)
        self._charts_drawn: dict[str, int] = {}

    async def _return_kaleido_tab(self, tab: object) -> None:
        target = tab.tab.target_id
        self._charts_drawn[target] = self._charts_drawn.get(target, 0) + 1
        if self._charts_drawn[target] % RELOAD_EVERY == 0:
            await super()._return_kaleido_tab(tab)
        else:
            await self.tabs_ready.put(tab)


class _Renderer:
    """The browser and the event loop that talks to it."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="chart-renderer", daemon=True).start()
        # The browser starts in the background: the first charts wait for it, their callers need not.
        self._browser = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    @staticmethod
    async def _open() -> _ReusingKaleido:
        browser = _ReusingKaleido()
        await browser.open()
        return browser

    async def _draw(self, figure: object, options: dict) -> bytes:
        browser = await asyncio.wrap_future(self._browser)
        return await browser.calc_fig(figure, options)

    def submit(self, figure: object, width: int, height: int) -> Future[bytes]:
        options = {"format": "png", "width": width, "height": height, "scale": SCALE}
        return asyncio.run_coroutine_threadsafe(self._draw(figure, options), self._loop)

    def close(self) -> None:
        if not self._browser.exception(timeout=60):
            asyncio.run_coroutine_threadsafe(self._browser.result().close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)


_renderer: _Renderer | None = None
_renderer_lock = threading.Lock()


def start() -> None:
    """Start the process's browser in the background (a few seconds, once); later calls do nothing."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = _Renderer()
            atexit.register(_renderer.close)


def submit(figure: object, width: int, height: int) -> Future[bytes]:
    """Start drawing a figure as a PNG of width x height layout pixels; the future holds this figure's image."""
    start()
    return _renderer.submit(figure, width, height)
