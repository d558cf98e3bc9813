"""The citizen page in a real headless browser (Debian's chromium through chromium-driver, by selenium):
pick a place on the map, file a report with a photo, follow it by its number, see the core's incident,
rate it once closed; the page in English; nearby facilities from an imported layer."""

from __future__ import annotations

import shutil

import httpx
import pytest

from dispatch import ops
from tests.citizens.conftest import jpeg_with_gps

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")


@pytest.fixture
def browser(tmp_path):  # type: ignore[no-untyped-def]
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
              f"--user-data-dir={tmp_path / 'profile'}", "--window-size=420,900", "--lang=zh-CN"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.implicitly_wait(0)
    yield drv
    drv.quit()


def test_file_a_report_with_a_photo_follow_and_rate_it(core, server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 20)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_with_gps())
    browser.get(server.url)
    wait.until(lambda d: d.find_element(By.ID, "service").get_attribute("data-loaded") == "1")
    assert browser.find_element(By.ID, "submit").text == "提交"  # zh_CN by default
    assert browser.execute_script("return typeof L") == "object"  # Leaflet served by the endpoint itself
    # the base map drawn: the river, roads and districts, and no pin of the city's (sites, docks) beside the
    # citizen's own; the bureau's patrol zones are not published
    wait.until(lambda d: d.execute_script("return document.querySelectorAll('#map path').length") > 0)
    assert browser.execute_script("return document.querySelectorAll('#map .leaflet-marker-icon').length") == 0
    served = {f["properties"]["layer"] for f in httpx.get(server.url + "page/city.geojson").json()["features"]}
    assert served == {"river", "road", "bridge", "district"}
    ActionChains(browser).move_to_element_with_offset(browser.find_element(By.ID, "map"), 30, 20).click().perform()
    wait.until(lambda d: d.find_element(By.ID, "lat").get_attribute("value"))
    assert browser.execute_script("return document.querySelectorAll('#map .leaflet-marker-icon').length") == 1
    Select(browser.find_element(By.ID, "service")).select_by_value("illegal_dumping")
    browser.find_element(By.ID, "description").send_keys("路边一堆建筑垃圾")
    browser.find_element(By.ID, "phone").send_keys("13800138000")
    browser.find_element(By.ID, "photo").send_keys(str(photo))
    browser.find_element(By.ID, "submit").click()
    rid = wait.until(lambda d: d.find_element(By.ID, "result-id").text)

    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="test")  # the console's core has it
    assert inc["source"] == "web" and inc["category"] == "illegal_dumping" and inc["text"] == "路边一堆建筑垃圾"
    assert inc["contact"] == "13800138000" and inc["attachments"][0]["media_type"] == "image/jpeg"

    browser.find_element(By.CSS_SELECTOR, "nav [data-tab=follow]").click()
    browser.find_element(By.ID, "follow-go").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "status-notes"), "已受理"))
    assert "13800138000" not in browser.page_source

    core.register_units("system:test", [{"id": "officer-1", "name": "officer-1", "kind": "officer"}])
    ops.call(core, "incident.assign", {"incident_id": rid, "unit_id": "officer-1"}, actor="dispatcher:wang")
    for st in ("accepted", "on_scene", "resolved", "closed"):
        ops.call(core, "incident.transition", {"incident_id": rid, "state": st}, actor="dispatcher:wang")
    browser.find_element(By.ID, "follow-go").click()
    wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-status") == "closed"
               and d.find_element(By.ID, "rate-form").is_displayed())
    Select(browser.find_element(By.ID, "rating")).select_by_visible_text("4")
    browser.find_element(By.ID, "comment").send_keys("清理得很干净")
    browser.find_element(By.ID, "rate-go").click()
    wait.until(lambda d: d.find_element(By.ID, "rated").is_displayed())
    inc = ops.call(core, "incident.show", {"incident_id": rid}, actor="test")
    assert inc["state"] == "evaluated" and inc["satisfaction"] == 4

    browser.find_element(By.ID, "lang").click()
    wait.until(lambda d: d.find_element(By.ID, "follow-go").text == "Look up")


def test_nearby_facilities_from_an_imported_layer(core, server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.416, 24.327]},
         "properties": {"name": "文惠桥公厕", "name_en": "Wenhui Bridge toilets"}}]}
    ops.call(core, "citizens.layer_import", {"layer": "toilets", "geojson": layer}, actor="ctl:test")
    browser.get(server.url)
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "service").get_attribute("data-loaded") == "1")
    browser.find_element(By.CSS_SELECTOR, "nav [data-tab=nearby]").click()
    browser.find_element(By.ID, "nearby-go").click()
    WebDriverWait(browser, 20).until(lambda d: "文惠桥公厕" in d.find_element(By.ID, "facilities").text)
