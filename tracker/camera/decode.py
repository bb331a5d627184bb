"""Reading a label's code from one camera frame: bytes of a picture in, the code's text or None out."""

from __future__ import annotations

import io
import warnings

import zxingcpp
from PIL import Image, UnidentifiedImageError

from tracker.errors import Invalid

# Bag labels carry a QR code; wristbands and vendor labels often a Code 128 or a Data Matrix.
FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.Code128)
# What a browser's canvas makes; Pillow's other formats are no camera frame and only widen what is parsed.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
# A video frame is at most a few megapixels; 2 MB of PNG could otherwise unpack to gigabytes.
MAX_PIXELS = 4096 * 4096


class NotAnImage(Invalid):
    code = "not_an_image"


def _too_large() -> Invalid:
    return Invalid(
        f"The picture has more than {MAX_PIXELS} pixels: send a camera frame", code="image_too_large"
    )


def read_code(picture: bytes) -> str | None:
    """The text of the first code found in the picture, or None when it shows no readable code."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(picture), formats=IMAGE_FORMATS)
        if image.width * image.height > MAX_PIXELS:
            raise _too_large()
        grey = image.convert("L")  # decodes the whole picture: a truncated file fails here
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _too_large() from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAnImage("This is not a JPEG, PNG or WebP picture") from exc
    found = zxingcpp.read_barcodes(grey, formats=FORMATS)
    return found[0].text if found else None
