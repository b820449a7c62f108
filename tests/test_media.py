import numpy as np
import pytest

from cosmos3_eval.api.media import (
    b64decode,
    check_image,
    check_video,
    decode_image,
    decode_image_uri,
    decode_video,
    encode_image,
    encode_video,
    image_data_uri,
)
from cosmos3_eval.errors import ModelOutputError

RNG = np.random.default_rng(0)
IMG = RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)
VID = RNG.integers(0, 256, (5, 11, 7, 3), dtype=np.uint8)


def test_png_and_data_uri_are_lossless():
    np.testing.assert_array_equal(decode_image(encode_image(IMG)), IMG)
    uri = image_data_uri(IMG)
    assert uri.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(decode_image_uri(uri), IMG)
    jpeg = decode_image(encode_image(IMG, "jpeg"))
    assert jpeg.shape == IMG.shape


def test_lossless_mp4_roundtrip_odd_sizes_and_gif():
    np.testing.assert_array_equal(decode_video(encode_video(VID, fps=4)), VID)
    lossy = decode_video(encode_video(VID, lossless=False))
    assert lossy.shape == VID.shape
    assert decode_video(encode_video(VID, fmt="gif")).shape == VID.shape


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: b64decode("abc$"), "invalid base64"),
        (lambda: decode_image(b"not an image"), "not a decodable image"),
        (lambda: decode_video(b"not a video"), "not a decodable video"),
        (lambda: decode_image_uri("http://x/y.png"), "data:"),
        (lambda: check_image(IMG, 13, 8), "expected 13x8"),
        (lambda: check_image(IMG.astype(np.float32), 13, 9), "uint8"),
        (lambda: check_video(VID, 6, 7, 11), "expected 6 frames"),
        (lambda: check_video(VID, 5, 8, 11), "expected 8x11"),
    ],
)
def test_invalid_media_raise_model_output_error(call, match):
    with pytest.raises(ModelOutputError, match=match):
        call()
