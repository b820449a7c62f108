import numpy as np

from cosmos3_eval.scorers.colour import hue_distance, hue_masks, hue_sat_val, nearest_hue_labels
from cosmos3_eval.sim.scenes.palette import T2I_PALETTE, hue_of


def test_hsv_matches_palette_hue_and_known_values():
    px = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]], np.uint8)
    h, s, v = hue_sat_val(px)
    assert np.allclose(h, [0, 120, 240, 0]) and np.allclose(s, [1, 1, 1, 0])
    assert np.allclose(v, [1, 1, 1, 128 / 255])
    for rgb in T2I_PALETTE.values():
        p = np.round(np.array(rgb) * 255).astype(np.uint8)
        assert abs(float(hue_sat_val(p)[0]) - hue_of(tuple(p / 255))) < 1e-3


def test_hue_distance_wraps():
    assert hue_distance(350.0, 10.0) == 20.0 and hue_distance(10.0, 350.0) == 20.0
    assert hue_distance(0.0, 180.0) == 180.0


def test_masks_and_labels_ignore_grey_and_wrap_red():
    img = np.array([[[250, 10, 20], [20, 240, 30], [200, 200, 200], [30, 10, 10]]], np.uint8)
    masks = hue_masks(img, [0.0, 120.0], 22.0, 0.45, 0.15)
    assert masks.shape == (2, 1, 4)
    assert masks[0, 0].tolist() == [True, False, False, False]  # hue ~357.6 wraps to red
    assert masks[1, 0].tolist() == [False, True, False, False]
    labels = nearest_hue_labels(img, (0.0, 120.0), 28.0, 0.35, 0.15)
    assert labels.tolist() == [[0, 1, -1, -1]]  # grey: unsaturated; last: too dark
