"""The PDF pack's chart images: the same bytes as kaleido's own page-per-chart drawing, each caller's own
image when packs render at once, and a tab still right after it has been reloaded."""

from __future__ import annotations

import asyncio
import struct
import threading

import kaleido
import pandas as pd
import plotly.graph_objects as go
import pytest

from benchmark.definitions.metrics import METRICS
from benchmark.outputs import chart_images, charts


def figure(bars: int) -> go.Figure:
    table = pd.DataFrame({"la_code": [str(index) for index in range(bars)],
                          "la_name": [f"Authority {index}" for index in range(bars)],
                          "value": [float(index * 3 % 17) for index in range(bars)],
                          "ci_low": [float(index * 3 % 17) - 1 for index in range(bars)],
                          "ci_high": [float(index * 3 % 17) + 1 for index in range(bars)],
                          "network_median": 8.0, "sn_mean": 9.0})
    return charts.bar_chart(table, METRICS["adv_6wk_pct"], "1", f"A chart of {bars} bars")


def png_size(image: bytes) -> tuple[int, int]:
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", image[16:24])


def test_a_reused_tab_draws_the_same_bytes_as_kaleidos_fresh_page_per_chart() -> None:
    figures = [figure(bars) for bars in (3, 12, 33)]
    options = {"format": "png", "width": 620, "height": 500, "scale": chart_images.SCALE}

    async def fresh_page_each() -> list[bytes]:
        async with kaleido.Kaleido(n=1, mathjax=False) as browser:
            return [await browser.calc_fig(each, options) for each in figures]

    expected = asyncio.run(fresh_page_each())
    assert [chart_images.submit(each, 620, 500).result() for each in figures] == expected
    assert len(set(expected)) == 3


def test_each_caller_gets_its_own_chart_when_packs_render_at_once() -> None:
    widths = [400 + 20 * index for index in range(8)]
    images: dict[int, bytes] = {}

    def draw(width: int) -> None:
        images[width] = chart_images.submit(figure(5 + width // 100), width, 300).result()

    threads = [threading.Thread(target=draw, args=(width,)) for width in widths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {width: png_size(images[width]) for width in widths} == {
        width: (round(width * chart_images.SCALE), round(300 * chart_images.SCALE)) for width in widths}


def test_a_tab_reloaded_after_its_share_of_charts_still_draws_them(monkeypatch: pytest.MonkeyPatch) -> None:
    reloads = []
    reload_and_return = kaleido.Kaleido._return_kaleido_tab

    async def counted(browser: kaleido.Kaleido, tab: object) -> None:
        reloads.append(tab)
        await reload_and_return(browser, tab)

    monkeypatch.setattr(chart_images, "RELOAD_EVERY", 2)
    monkeypatch.setattr(chart_images, "TABS", 1)
    monkeypatch.setattr(kaleido.Kaleido, "_return_kaleido_tab", counted)
    renderer = chart_images._Renderer()
    try:
        images = [renderer.submit(figure(4), 300 + 10 * index, 200).result(timeout=60) for index in range(6)]
    finally:
        renderer.close()
    assert [png_size(image)[0] for image in images] == [round((300 + 10 * index) * chart_images.SCALE)
                                                        for index in range(6)]
    assert len(reloads) == 6 // 2
