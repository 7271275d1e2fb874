"""A real browser (Debian's chromium, driven by Playwright) uses the app with the shipped weights like a person would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (apt-get install chromium)")


def test_colorize_compare_and_maps_in_the_browser(shipped_server, photos):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        failed_external = []
        page.on("requestfailed", lambda r: failed_external.append(r.url) if "127.0.0.1" not in r.url else None)
        page.goto(shipped_server.url, wait_until="domcontentloaded", timeout=60_000)

        page.get_by_role("tab", name="Colorize").click()
        page.locator("#colorize-input input[type=file]").set_input_files(str(photos / "chelsea.png"))
        page.locator("#colorize-artist input").click()
        options = page.get_by_role("option")
        assert options.first.inner_text().split("\n")[-1].strip() == "Natural colours (photo)"  # first, and chosen
        space = page.locator("#colorize-space input[type=radio]")
        assert space.count() == 1  # natural colours: a Lab model only, so the menu offers only Lab
        page.get_by_role("option", name="Titian").click()
        page.wait_for_function("() => document.querySelectorAll('#colorize-space input[type=radio]').length == 2")
        page.locator("#colorize-button").click()
        generated = page.locator("#colorize-generated img")
        generated.wait_for(state="visible", timeout=60_000)
        assert generated.evaluate("img => img.complete && img.naturalWidth") == 451
        slider = page.locator("#colorize-slider img")
        slider.first.wait_for(state="visible", timeout=60_000)
        assert slider.count() == 2 and slider.first.evaluate("img => img.naturalWidth") == 451  # full resolution

        box = page.locator("#colorize-strength input[type=number]")
        box.fill("0.5")
        box.press("Enter")  # typing a strength re-colours, as releasing the slider does
        page.get_by_text("colour strength 0.5: re-coloured without running the model again").wait_for(timeout=30_000)

        page.locator("#compare-button").click()
        gallery = page.locator("#compare-gallery img")
        page.wait_for_function("() => document.querySelectorAll('#compare-gallery img').length >= 10", timeout=120_000)
        assert gallery.count() >= 10  # original, grayscale and the eight shipped colorizers
        page.wait_for_timeout(500)  # the grid lays itself out
        grid = page.locator("#compare-gallery .grid-wrap").first
        assert grid.evaluate("el => el.scrollHeight <= el.clientHeight + 2"), "the gallery scrolls inside its box"
        captions = page.locator("#compare-gallery .caption-label")
        assert captions.count() >= 10 and all(  # each caption whole, none cut short by an ellipsis
            c.is_visible() and c.evaluate("el => el.scrollWidth <= el.clientWidth + 1") for c in captions.all())
        page.screenshot(path=str(ARTIFACTS / "browser_colorize.png"), full_page=True)

        page.get_by_role("tab", name="Maps").click()
        snap = page.get_by_label("Draw in the map palette (aerial photo -> map)")
        assert snap.is_visible()
        page.get_by_label("map -> aerial photo").check()
        snap.wait_for(state="hidden", timeout=10_000)  # the palette is for aerial -> map alone
        page.get_by_label("aerial photo -> map").check()
        snap.wait_for(state="visible", timeout=10_000)
        page.locator("#maps-input input[type=file]").set_input_files(str(photos / "coffee.png"))
        page.locator("#maps-button").click()
        mapped = page.locator("#maps-generated img")
        mapped.wait_for(state="visible", timeout=60_000)
        assert mapped.evaluate("img => img.complete && img.naturalWidth") == 600
        page.locator("#maps-slider img").first.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "browser_maps.png"), full_page=True)
        browser.close()
    # offline page: nothing it needs comes from outside (a failed external font is tolerated, not required)
    assert all(not u.startswith("http://127.0.0.1") for u in failed_external)


def test_a_refused_upload_leaves_the_layout_usable(shipped_server, tmp_path):
    """A 1x1 image: the message says why, the upload keeps its size, and only the result panel shows the refusal."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from PIL import Image

    Image.new("RGB", (1, 1), (200, 30, 30)).save(tmp_path / "one.png")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(shipped_server.url, wait_until="domcontentloaded", timeout=60_000)
        upload = page.locator("#colorize-input")
        height = upload.bounding_box()["height"]
        page.locator("#colorize-input input[type=file]").set_input_files(str(tmp_path / "one.png"))
        page.locator("#colorize-button").click()
        page.get_by_text("both sides must be at least 8 pixels").wait_for(timeout=30_000)
        assert abs(upload.bounding_box()["height"] - height) < 2  # not collapsed to a strip
        badges = page.get_by_text("Error", exact=True)  # the message's title, and a badge on each panel marked refused
        owners = [badges.nth(i).evaluate("e => e.closest('[id]')?.id || e.className") for i in range(badges.count())]
        assert sorted(o.split()[0] for o in owners) == ["colorize-generated", "toast-title"], owners
        browser.close()


def test_a_painted_stroke_colours_the_result_where_it_was_painted(shipped_server, photos):
    """The hint brush: a blue stroke across the cat's face, Colorize, and the result is blue where it was painted."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    import io
    import urllib.request

    import numpy as np
    from PIL import Image
    from skimage.color import rgb2lab

    def shown(url: str) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(urllib.request.urlopen(url).read())).convert("RGB"))

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        warnings: list[tuple[str, str]] = []
        page.on("console", lambda m: warnings.append((m.text, m.location.get("url", ""))) if m.type in ("warning", "error")
                else None)  # fmt: skip
        page.goto(shipped_server.url, wait_until="domcontentloaded", timeout=60_000)
        page.locator("#colorize-button").wait_for(timeout=60_000)
        assert not page.locator("#colorize-hints").is_visible()  # no photo yet: no empty canvas to puzzle over
        page.locator("#colorize-input input[type=file]").set_input_files(str(photos / "chelsea.png"))
        page.wait_for_function("() => document.querySelector('#colorize-hints canvas')", timeout=30_000)
        page.wait_for_timeout(1500)  # the canvas draws the photo in gray

        def stroke() -> None:  # across the middle row of the photo (centred on the canvas), 35% to 65% of its width
            box = page.locator("#colorize-hints canvas").first.bounding_box()
            y = box["y"] + box["height"] * 0.5
            page.mouse.move(box["x"] + box["width"] * 0.35, y)
            page.mouse.down()
            for k in range(1, 21):
                page.mouse.move(box["x"] + box["width"] * (0.35 + 0.3 * k / 20), y)
            page.mouse.up()

        def colorized_again() -> np.ndarray:
            before = generated.get_attribute("src")
            page.locator("#colorize-button").click()
            page.wait_for_function("b => document.querySelector('#colorize-generated img').src != b", arg=before,
                                   timeout=60_000)  # fmt: skip
            return shown(generated.get_attribute("src"))

        stroke()  # the default brush colour, a clear blue (#3b8fe0)
        page.locator("#colorize-button").click()
        generated = page.locator("#colorize-generated img")
        generated.wait_for(state="visible", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "browser_hints.png"), full_page=True)
        result = shown(generated.get_attribute("src"))
        page.get_by_role("button", name="Undo the last stroke").click()  # the stroke taken back: Colorize paints without it
        undone = colorized_again()
        page.get_by_label("Any brush colour").fill("#d02080")  # a colour of no swatch, from the picker: a magenta
        stroke()
        picked = colorized_again()
        browser.close()
    h, w = result.shape[:2]
    where = (slice(h // 2 - 4, h // 2 + 5), slice(int(0.4 * w), int(0.6 * w)))
    painted, unpainted = rgb2lab(result[where]), rgb2lab(undone[where])
    assert painted[..., 2].mean() < -10 and painted[..., 1].mean() < 10, "the stroke's blue is not where it was painted"
    assert unpainted[..., 2].mean() > painted[..., 2].mean() + 10, "Undo left the stroke's blue"
    magenta = rgb2lab(picked[where])
    assert magenta[..., 1].mean() > unpainted[..., 1].mean() + 15, "the picked colour is not where it was painted"
    ours = [(text, url) for text, url in warnings if "/assets/" not in url and "GL Driver" not in text]
    assert not ours, ours  # every console warning comes from Gradio's own bundle (e.g. its "Method not implemented.")
