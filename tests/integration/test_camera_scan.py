"""The camera-scan route (`POST /scan/decode`): a signed-in page posts one camera frame and gets the code's
text back; pictures without a code, things that are not pictures, oversized uploads and strangers are
answered plainly, and the decoded text never reaches a log. Every scan field's page offers the camera."""

from __future__ import annotations

import io
import logging
import re

import qrcode
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import csrf_token_in

PAYLOAD = "CT1B2222222222LAAAAAAAAAAAAAAAA"  # the shape of a bag label's QR payload


def qr_png(text: str) -> bytes:
    picture = io.BytesIO()
    qrcode.make(text).save(picture, format="PNG")
    return picture.getvalue()


def camera_frame(text: str) -> bytes:
    """What a tablet sends: a JPEG video frame with the label somewhere in it, on a grey background."""
    frame = Image.new("RGB", (640, 480), (128, 128, 120))
    label = Image.open(io.BytesIO(qr_png(text))).convert("RGB").resize((240, 240))
    frame.paste(label, (300, 150))
    picture = io.BytesIO()
    frame.save(picture, format="JPEG", quality=80)
    return picture.getvalue()


def blank_png() -> bytes:
    picture = io.BytesIO()
    Image.new("L", (640, 480), 255).save(picture, format="PNG")
    return picture.getvalue()


ASKS_FOR_JSON = {"Accept": "application/json"}


def post_frame(client, picture: bytes, *, token: str | None, filename: str = "frame.jpg"):
    # Encoded here, as the page's script sends it (multipart, the CSRF token in a header, asking for JSON).
    boundary, body = encode_multipart({"image": FileStorage(io.BytesIO(picture), filename, "image")})
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **ASKS_FOR_JSON}
    if token:
        headers["X-CSRFToken"] = token
    return client.post("/scan/decode", data=body, headers=headers)


def signed_in(browse, role: str = "nurse"):
    page = browse(role)
    return page.client, csrf_token_in(page.get("/").data)  # the sign-out form carries the page's token


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"}
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_a_frame_showing_a_bag_label_decodes_to_the_labels_payload(browse):
    client, token = signed_in(browse)
    for picture in (qr_png(PAYLOAD), camera_frame(PAYLOAD)):
        response = post_frame(client, picture, token=token)
        assert response.status_code == 200, response.data[:300]
        assert response.json == {"text": PAYLOAD}
        assert response.headers["Cache-Control"] == "no-store"


def test_any_signed_in_role_may_decode_a_frame(browse):
    client, token = signed_in(browse, "pharmacist")
    assert post_frame(client, qr_png("UC-0001-C01"), token=token).json == {"text": "UC-0001-C01"}


def test_a_frame_without_a_code_answers_null(browse):
    client, token = signed_in(browse)
    response = post_frame(client, blank_png(), token=token)
    assert response.status_code == 200
    assert response.json == {"text": None}


def test_junk_bytes_a_missing_frame_and_a_truncated_picture_are_refused_with_422(browse):
    client, token = signed_in(browse)
    assert_error(post_frame(client, b"\x00junk, not a picture" * 50, token=token), 422, "not_an_image")
    assert_error(post_frame(client, qr_png(PAYLOAD)[:200], token=token), 422, "not_an_image")
    gif = io.BytesIO()
    Image.new("L", (64, 64), 255).save(gif, format="GIF")  # a picture, but no format a camera frame comes in
    assert_error(post_frame(client, gif.getvalue(), token=token), 422, "not_an_image")
    headers = {"X-CSRFToken": token, **ASKS_FOR_JSON}
    no_frame = client.post("/scan/decode", data={"other": "x"}, headers=headers)
    assert_error(no_frame, 422, "not_an_image")


def test_a_picture_with_more_pixels_than_a_camera_frame_is_refused(browse):
    client, token = signed_in(browse)
    huge = io.BytesIO()
    Image.new("1", (5000, 5000), 1).save(huge, format="PNG")  # small as a file, 25 megapixels unpacked
    assert len(huge.getvalue()) < 1024 * 1024
    assert_error(post_frame(client, huge.getvalue(), token=token), 422, "image_too_large")


def test_an_upload_over_the_size_limit_is_refused_with_413(app, browse):
    client, token = signed_in(browse)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 2 * 1024 * 1024
    oversized = qr_png(PAYLOAD) + b"\x00" * limit
    assert_error(post_frame(client, oversized, token=token), 413, "payload_too_large")


def test_a_stranger_is_sent_to_sign_in_and_gets_no_text(client):
    token = csrf_token_in(client.get("/login").data)
    response = post_frame(client, qr_png(PAYLOAD), token=token)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert PAYLOAD.encode() not in response.data


def test_a_frame_without_the_pages_csrf_token_is_refused(browse):
    client, _ = signed_in(browse)
    assert_error(post_frame(client, qr_png(PAYLOAD), token=None), 400, "csrf_failed")


def test_the_decoded_text_never_reaches_a_log_record(browse, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "flask_wtf", "tracker", "PIL"):
        caplog.set_level(logging.DEBUG, logger=name)
    client, token = signed_in(browse)
    secret = "CT1B3333333333LSECRETSECRETSECR"
    assert post_frame(client, camera_frame(secret), token=token).json == {"text": secret}
    assert caplog.records, "nothing was logged, so the check below would prove nothing"
    for record in caplog.records:
        assert secret not in record.getMessage() + repr(record.args)


def test_every_scan_field_has_its_camera_button_and_the_page_its_preview_and_script(browse):
    pages = {"nurse": ["/ward", "/ward/receive"], "pharmacist": ["/pharmacy/thaw"]}
    for role, urls in pages.items():
        page = browse(role)
        for url in urls:
            html = page.get(url).get_data(as_text=True)
            fields = re.findall(r'<input id="([a-z_]+)"[^>]*\sdata-scan[\s>]', html)
            assert fields, f"{url} has no scan field"
            buttons = re.findall(r'class="camera-scan" data-camera-for="([a-z_]+)"', html)
            assert buttons == fields, url
            assert html.count("data-camera-preview") == 1, url
            assert 'data-decode-url="/scan/decode"' in html, url
            assert '<script src="/static/js/camera-scan.js" defer></script>' in html, url
            assert '<script src="/static/js/ward.js" defer></script>' in html, url  # the wedge's Enter
