"""The finish of the pages in Chromium: severity badges in the four warning colours, printing an incident without
its navigation and forms, the 404 page, the log form ready at now with its picklist, and the favicon."""

import colorsys
import re

import pytest
from django.utils import timezone

from incidents.models import Severity

from ..browser import screenshot, sign_in

pytestmark = pytest.mark.usefixtures("national_defaults")


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def computed(locator, prop: str) -> str:
    return locator.evaluate(f"element => getComputedStyle(element).getPropertyValue('{prop}')")


def hue(css_colour: str) -> float:
    """The hue in degrees of an ``rgb(r, g, b)`` colour."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_colour)[:3])
    return colorsys.rgb_to_hsv(red, green, blue)[0] * 360


def test_each_severity_badge_has_its_warning_colour_red_orange_yellow_blue(new_page, org, log):
    for severity in Severity.values:
        log(title=f"舆情 {severity}", severity=severity, discovered_at=timezone.now())
    page = new_page()
    sign_in(page, org.duty_officer)

    backgrounds = {
        severity: computed(page.locator(f".severity.{severity}"), "background-color") for severity in Severity.values
    }
    assert len(set(backgrounds.values())) == 4
    hues = {severity: hue(colour) for severity, colour in backgrounds.items()}
    assert hues["especially_major"] < 10 or hues["especially_major"] > 345  # red
    assert 15 < hues["major"] < 35  # orange
    assert 40 < hues["relatively_major"] < 60  # yellow
    assert 200 < hues["general"] < 230  # blue
    assert computed(page.locator(".severity.relatively_major"), "color") == "rgb(31, 35, 40)"  # dark on yellow
    screenshot(page, "polish-severity")


def test_printing_an_incident_leaves_out_the_navigation_and_forms_and_prints_black_on_white(new_page, org, log):
    incident = log(discovered_at=timezone.now())
    page = new_page()
    sign_in(page, org.duty_officer)
    page.goto(f"/incidents/{incident.pk}/")
    expect(page.locator("header.bar nav")).to_be_visible()

    page.emulate_media(media="print")

    for hidden in ["header.bar", "header.bar nav", "#record-action", "details.panel >> nth=1", "p.warning"]:
        expect(page.locator(hidden)).to_be_hidden()
    for shown in ["dl.facts", "table.obligations-table", "ol.timeline", "h1"]:
        expect(page.locator(shown)).to_be_visible()
    clock = page.locator("tr[data-kind=first_statement] .clock")
    assert computed(clock, "color") == "rgb(0, 0, 0)"
    assert computed(page.locator("body"), "background-color") in {"rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}
    assert computed(page.locator(".severity"), "background-color") == "rgba(0, 0, 0, 0)"
    screenshot(page, "polish-print")


def test_a_wrong_address_shows_the_trackers_404_with_the_way_back(new_page, org):
    page = new_page()
    sign_in(page, org.duty_officer)

    answer = page.goto("/incidents/nowhere/")

    assert answer.status == 404
    expect(page).to_have_title("找不到该页面 · 政务舆情回应督办系统")
    expect(page.locator("h1")).to_have_text("找不到该页面")
    expect(page.locator(".who")).to_have_text(org.duty_officer.display_name)
    screenshot(page, "polish-404")
    page.click("text=返回我的首页")
    expect(page).to_have_url(re.compile(r"/incidents/$"))


def test_the_log_form_starts_at_now_offers_platforms_and_the_favicon_answers(new_page, org):
    page = new_page()
    sign_in(page, org.duty_officer)
    before = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    page.goto("/incidents/new/")
    after = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    assert page.input_value("#id_discovered_at") in {before, after}
    expect(page.locator("label[for=id_discovered_at]")).to_have_text("发现时间：")
    platforms = page.locator("#id_source_platform_suggestions option")
    expect(platforms.first).to_have_attribute("value", "微博")
    assert "12345热线" in platforms.evaluate_all("options => options.map(option => option.value)")
    assert page.get_attribute("#id_source_platform", "list") == "id_source_platform_suggestions"
    screenshot(page, "polish-log-form")

    icon = page.request.get("/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert page.get_attribute("link[rel=icon]", "href") == "/static/tracker/favicon.svg"
