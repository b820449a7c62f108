"""Known-answer and round-trip tests of the Cosmos LIBERO wire codec."""

import numpy as np

from cosmos3_eval.protocols import cosmos_policy as wire


def _frame(seed: int, size: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_rotate_180_known_answer():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out = wire.rotate_180(img)
    np.testing.assert_array_equal(out[0, 0], img[1, 1])
    np.testing.assert_array_equal(wire.rotate_180(out), img)


def test_concat_layout_and_resize():
    a, b = _frame(0, 128), _frame(1, 128)
    cat = wire.concat_views([a, b])
    assert cat.shape == (256, 512, 3)
    left, right = wire.split_views(cat, 2)
    np.testing.assert_array_equal(wire.resize_image(left, 128, 128).shape, (128, 128, 3))
    assert wire.resize_image(cat, *wire.MODEL_CANVAS).shape == (192, 320, 3)
    flat = np.full((128, 128, 3), 77, np.uint8)
    np.testing.assert_array_equal(wire.resize_image(flat, 256, 256), 77)  # bilinear keeps flats


def test_item_round_trip_is_lossless():
    sim = {c: _frame(i) for i, c in enumerate(wire.CAMERAS)}
    item = wire.encode_item(sim, "put both pots on the stove", seed=3, step=16, episode_id="e/1")
    assert item["image_size"] == 256 and item["domain_name"] == "libero"
    assert item["prompt"].startswith("put both pots on the stove. This video contains")
    # The concatenation is upright: its top-left pixel is the sim frame's bottom-right one.
    cat = wire.decode_png(item["image"])
    assert cat.shape == (256, 512, 3)
    np.testing.assert_array_equal(cat[0, 0], sim["agentview"][-1, -1])
    np.testing.assert_array_equal(cat[0, 256], sim["robot0_eye_in_hand"][-1, -1])
    dec = wire.decode_item(item)
    assert (dec.instruction, dec.seed, dec.step, dec.episode_id) == (
        "put both pots on the stove",
        3,
        16,
        "e/1",
    )
    for c in wire.CAMERAS:
        np.testing.assert_array_equal(dec.images[c], sim[c])
