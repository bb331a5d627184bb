"""Camera scanning in a real browser: Chromium's fake camera films a bag's QR code (a .y4m video made here),
the nurse presses "Scan with camera" and the label field fills and moves on exactly as a wedge scan does;
while the camera looks, typing and a wedge scanner still work, and Cancel turns the camera off; a browser
with BarcodeDetector reads the code itself."""

from __future__ import annotations

import re
from pathlib import Path

import qrcode
from PIL import Image
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import wedge
from tests.pharmacy_support import build_trial
from tests.ward_support import move, ready_bag

WIDTH, HEIGHT = 640, 480


def write_y4m(path: Path, picture: Image.Image, frames: int = 10) -> Path:
    """A still video in the format Chromium's fake camera plays: YUV 4:2:0, one header, then each frame."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), (200, 200, 195))
    side = min(picture.size[0], HEIGHT - 40)
    frame.paste(picture.convert("RGB").resize((side, side), Image.NEAREST), ((WIDTH - side) // 2, 20))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + planes)
    return path


def label_video(tmp_path: Path, payload: str) -> Path:
    return write_y4m(tmp_path / "label.y4m", qrcode.make(payload, border=4).get_image())


def sign_in_as(page: Page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def camera_button(page: Page, field: str):  # noqa: ANN201
    return page.locator(".scan-field", has=page.get_by_label(field, exact=True)).get_by_role(
        "button", name="Scan with camera"
    )


def camera_is_off(page: Page) -> bool:
    return page.evaluate("Array.from(document.querySelectorAll('video')).every(v => v.srcObject === null)")


def test_a_nurse_scans_the_bag_label_with_the_camera_and_it_moves_on_like_a_wedge_scan(
    camera_page, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    bag = ready_bag(trial, "active")
    page = camera_page(label_video(tmp_path, bag["qr_payload"]))
    decodes = []
    page.on("requestfinished", lambda r: decodes.append(r) if r.url.endswith("/scan/decode") else None)
    sign_in_as(page, live_server, make_user("nurse"))
    page.get_by_role("main").get_by_role("link", name="Ward: bedside check and infusion").click()
    # Linux Chromium has no BarcodeDetector: this test is the server's path (a frame to /scan/decode).
    assert page.evaluate("'BarcodeDetector' in window") is False

    label = page.get_by_label("Bag label", exact=True)
    expect(label).to_be_focused()
    expect(camera_button(page, "Wristband (participant ID)")).to_be_visible()
    camera_button(page, "Bag label").click()

    expect(label).to_have_value(bag["qr_payload"])
    wristband = page.get_by_label("Wristband (participant ID)")
    # The wedge's Enter: on to the next empty field, no half-filled form sent.
    expect(wristband).to_be_focused()
    expect(page).to_have_url(re.compile(r"/ward$"))
    expect(page.get_by_text("Now scan the wristband.")).to_be_visible()
    expect(page.locator("[data-camera-preview]")).to_be_hidden()
    assert camera_is_off(page)
    assert decodes, "the code was read without the server: this test no longer covers /scan/decode"
    assert decodes[-1].response().json() == {"text": bag["qr_payload"]}

    wedge(page, bag["participant_id"])
    expect(page.get_by_role("heading", name="MATCH")).to_be_visible()
    expect(page.get_by_text("This bag is for this participant.")).to_be_visible()


def test_while_the_camera_looks_typing_still_works_and_cancel_turns_it_off(
    camera_page, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch")
    blank = write_y4m(tmp_path / "blank.y4m", Image.new("L", (400, 400), 255))
    page = camera_page(blank)
    sign_in_as(page, live_server, make_user("nurse"))
    page.goto(f"{live_server}/ward/receive")

    camera_button(page, "Bag label (scan, or type the bag ID)").click()
    preview = page.locator("[data-camera-preview]")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Hold the code in front of the camera.")
    expect(preview.locator("video")).to_have_js_property("videoWidth", WIDTH)  # the camera is on

    bag_field = page.get_by_label("Bag label (scan, or type the bag ID)")
    bag_field.click()
    wedge(page, bag["bag_id"])  # a wedge scan (or typing) while the camera is on
    expect(page.get_by_label("Location")).to_be_focused()
    expect(bag_field).to_have_value(bag["bag_id"])

    preview.get_by_role("button", name="Cancel").click()
    expect(preview).to_be_hidden()
    assert camera_is_off(page)
    expect(bag_field).to_be_focused()


def test_without_a_camera_api_there_is_no_camera_button_and_the_field_works(
    page, sign_in, make_user, live_server
):
    # As on a plain-http address other than localhost: the browser offers no navigator.mediaDevices.
    page.context.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined})")
    sign_in(make_user("nurse"))
    page.goto(f"{live_server}/ward")
    expect(page.get_by_role("button", name="Scan with camera")).to_have_count(0)
    wedge(page, "CT1B2222222222LAAAAAAAAAAAAAAAA")
    expect(page.get_by_label("Wristband (participant ID)")).to_be_focused()


# Linux Chromium has no BarcodeDetector, so the page's use of one is shown with a stand-in that "reads" a
# container label from any frame of the live video: the field fills and moves on, no frame leaves the page.
STAND_IN_DETECTOR = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code", "ean_13"]); }
  constructor(options) { window.detectorFormats = options.formats; }
  detect(video) { return Promise.resolve(video.videoWidth > 0 ? [{rawValue: "UC-0001-C01"}] : []); }
};
"""


def test_where_the_browser_reads_codes_itself_no_frame_goes_to_the_server(
    camera_page, make_user, tmp_path, live_server
):
    page = camera_page(write_y4m(tmp_path / "blank.y4m", Image.new("L", (400, 400), 255)))
    page.context.add_init_script(STAND_IN_DETECTOR)
    decodes = []
    page.on("request", lambda r: decodes.append(r) if r.url.endswith("/scan/decode") else None)
    sign_in_as(page, live_server, make_user("pharmacist"))
    page.goto(f"{live_server}/pharmacy/thaw")

    camera_button(page, "Container ID (scan or type)").click()
    expect(page.get_by_label("Container ID (scan or type)")).to_have_value("UC-0001-C01")
    expect(page.get_by_label("Viable cells per mL after thaw")).to_be_focused()
    expect(page.locator("[data-camera-preview]")).to_be_hidden()
    assert camera_is_off(page)
    assert page.evaluate("window.detectorFormats") == ["qr_code"]  # only the formats it has of ours
    assert decodes == []
