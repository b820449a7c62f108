# Copyright 2025 DeepMind Technologies Limited
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
# ==============================================================================
"""Reference functions of github.com/google-deepmind/physics-IQ-benchmark, for parity tests only.

Copied from ``code/binary_mask_generator.py`` (``generate_mask``), ``code/
calculate_and_write_metrics_to_csv.py`` (the metric helpers nested in ``process_videos`` and the
per-view computation of ``process_view``) and ``code/calculate_iq_score.py``
(``parse_list_of_floats``, ``calculate_iq_score``). Changes, marked ``# parity:``: video files
are replaced by in-memory frame lists (a BGR frame list in, a mask list out; the mask video's
codec round trip is skipped), and plotting / printing are dropped. Everything else is verbatim.
"""

# ruff: noqa
import re

import cv2
import numpy as np
import pandas as pd

VIEWS = ["perspective-left", "perspective-center", "perspective-right"]


def generate_mask(frames_bgr, threshold_value: int = 10):
    # parity: frames from a list instead of cv2.VideoCapture; masks returned instead of written
    masks = []
    prev_frame = frames_bgr[0]
    gray_frame = cv2.cvtColor(prev_frame, cv2.COLOR_BGR2GRAY)
    gray_frame = cv2.GaussianBlur(gray_frame, (5, 5), 0)
    avg_frame = gray_frame.astype("float")
    first_mask = np.zeros_like(gray_frame, dtype=np.uint8)
    masks.append(first_mask)
    kernel = np.ones((5, 5), np.uint8)
    for frame in frames_bgr[1:]:
        gray_frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        gray_frame = cv2.GaussianBlur(gray_frame, (5, 5), 0)
        cv2.accumulateWeighted(gray_frame, avg_frame, 0.3)
        avg_gray_frame = cv2.convertScaleAbs(avg_frame)
        frame_diff = cv2.absdiff(gray_frame, avg_gray_frame)
        _, binary_frame = cv2.threshold(frame_diff, threshold_value, 255, cv2.THRESH_BINARY)
        binary_frame = cv2.morphologyEx(binary_frame, cv2.MORPH_OPEN, kernel)
        binary_frame = cv2.morphologyEx(binary_frame, cv2.MORPH_CLOSE, kernel)
        # parity: a decoded mask video has 3 identical channels
        masks.append(np.repeat(binary_frame[..., None], 3, axis=2))
    masks[0] = np.repeat(masks[0][..., None], 3, axis=2)
    return masks


def spatial_binary_masks(mask_frames):
    if not mask_frames:
        return np.zeros((1, 1), dtype=np.uint8)
    spatial_mask = np.max(mask_frames, axis=0)
    return (spatial_mask > 0).astype(np.uint8) * 255


def weighted_spatial_mask(mask_frames):
    weighted_spatial_mask = np.sum(mask_frames, axis=0, dtype=np.uint16) / len(mask_frames)
    return weighted_spatial_mask


def mse_per_frame(video1, video2):
    if len(video1) != len(video2):
        raise ValueError("Videos must have the same number of frames.")
    frame_mses = []
    for frame1, frame2 in zip(video1, video2):
        if frame1.shape != frame2.shape:
            raise ValueError("Frames must have the same dimensions.")
        mse = np.mean((frame1.astype(np.float32) - frame2.astype(np.float32)) ** 2)
        frame_mses.append(mse)
    return frame_mses


def load_and_resize_video(frames, start_frame, end_frame, target_size=None, normalize=True):
    # parity: frames from a list instead of cv2.VideoCapture
    out = []
    for frame_idx, frame in enumerate(frames):
        if start_frame <= frame_idx < end_frame:
            if target_size:
                frame = cv2.resize(frame, target_size)
            if normalize:
                frame = frame / 255.0
            out.append(frame)
    return out


def compute_weighted_spatial_iou(weighted_spatial_1, weighted_spatial_2):
    intersection = np.minimum(weighted_spatial_1, weighted_spatial_2)
    union = np.maximum(weighted_spatial_1, weighted_spatial_2)
    valid_pixels = union > 0
    if np.sum(valid_pixels) == 0:
        return 1.0
    return np.sum(intersection[valid_pixels]) / np.sum(union[valid_pixels])


def spatiotemporal_iou_per_frame(mask1, mask2):
    spatiotemporal_iou_values = []
    for m1, m2 in zip(mask1, mask2):
        intersection = np.logical_and(m1, m2).sum()
        union = np.logical_or(m1, m2).sum()
        if union == 0:
            spatiotemporal_iou = 1.0
        else:
            spatiotemporal_iou = intersection / union
        spatiotemporal_iou_values.append(spatiotemporal_iou)
    return spatiotemporal_iou_values


def process_view(real_v1, real_v2, generated, view="perspective-left"):
    """parity: ``process_view`` on BGR frame lists (v1 = truth, v2 = twin, generated)."""
    consider_frames = len(real_v1)
    start_frame, end_frame = 0, consider_frames
    target_size = (real_v1[0].shape[1] // 4, real_v1[0].shape[0] // 4)
    real_v1_frames = load_and_resize_video(real_v1, 0, consider_frames, target_size)
    generated_frames = load_and_resize_video(generated, start_frame, end_frame, target_size)
    real_v2_frames = load_and_resize_video(real_v2, 0, consider_frames, target_size)
    binary_v1_frames = load_and_resize_video(
        generate_mask(real_v1), 0, consider_frames, target_size, normalize=False
    )
    binary_v2_frames = load_and_resize_video(
        generate_mask(real_v2), 0, consider_frames, target_size, normalize=False
    )
    binary_generated_frames = load_and_resize_video(
        generate_mask(generated), 0, consider_frames, target_size, normalize=False
    )
    binary_v1_frames = [(mask > 127).astype(np.uint8) for mask in binary_v1_frames]
    binary_v2_frames = [(mask > 127).astype(np.uint8) for mask in binary_v2_frames]
    binary_generated_frames = [(mask > 127).astype(np.uint8) for mask in binary_generated_frames]
    spatiotemporal_iou_v1 = spatiotemporal_iou_per_frame(binary_v1_frames, binary_generated_frames)
    spatial_v1 = spatial_binary_masks(binary_v1_frames)
    spatial_v2 = spatial_binary_masks(binary_v2_frames)
    spatial_generated = spatial_binary_masks(binary_generated_frames)
    iou_v1_spatial = spatiotemporal_iou_per_frame([spatial_v1], [spatial_generated])[0]
    weighted_spatial_v1 = weighted_spatial_mask(binary_v1_frames)
    weighted_spatial_v2 = weighted_spatial_mask(binary_v2_frames)
    weighted_spatial_generated = weighted_spatial_mask(binary_generated_frames)
    iou_v1_weighted_spatial = compute_weighted_spatial_iou(
        weighted_spatial_v1, weighted_spatial_generated
    )
    intersection = np.minimum(weighted_spatial_v1, weighted_spatial_v2)
    union = np.maximum(weighted_spatial_v1, weighted_spatial_v2)
    if np.sum(union) == 0:
        variance_weighted_spatial = 1.0
    else:
        variance_weighted_spatial = np.sum(intersection) / np.sum(union)
    variance_spatial = spatiotemporal_iou_per_frame([spatial_v1], [spatial_v2])
    variance_spatiotemporal_iou = spatiotemporal_iou_per_frame(binary_v1_frames, binary_v2_frames)
    variance_mse = mse_per_frame(real_v1_frames, real_v2_frames)
    return {
        f"v1_mse_{view}": mse_per_frame(real_v1_frames, generated_frames),
        f"variance_spatial_{view}": np.mean(variance_spatial),
        f"variance_weighted_spatial_{view}": variance_weighted_spatial,
        f"variance_spatiotemporal_iou_{view}": variance_spatiotemporal_iou,
        f"variance_mse_{view}": variance_mse,
        f"spatiotemporal_iou_v1_{view}": spatiotemporal_iou_v1,
        f"spatial_iou_v1_{view}": iou_v1_spatial,
        f"weighted_spatial_iou_v1_{view}": iou_v1_weighted_spatial,
    }


def parse_list_of_floats(value):
    if isinstance(value, str):
        if not (value.startswith("[") and value.endswith("]")):
            raise ValueError("Invalid string format for list of floats.")
        parsed_floats = [
            round(float(x), 4)
            for x in re.findall(r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?", value)
        ]
        if not parsed_floats:
            raise ValueError("No valid floats found in the input string.")
        return parsed_floats
    elif isinstance(value, list):
        return [round(float(x), 4) for x in value]
    raise TypeError("Input must be a string representing a list of floats or a list of numbers.")


def calculate_iq_score(file_path: str) -> float:
    # parity: returns the score only (the physical-variance sum and the plot are dropped)
    df = pd.read_csv(file_path)
    list_columns = [f"v1_mse_{view}" for view in VIEWS] + [
        f"spatiotemporal_iou_v1_{view}" for view in VIEWS
    ]
    for col in list_columns:
        df[col] = df[col].apply(parse_list_of_floats)
    total_sum_v1_mse = df.apply(
        lambda row: np.mean(np.concatenate([row[f"v1_mse_{view}"] for view in VIEWS])), axis=1
    ).mean()
    total_sum_spatiotemporal_iou_v1 = df.apply(
        lambda row: np.mean(
            np.concatenate([row[f"spatiotemporal_iou_v1_{view}"] for view in VIEWS])
        ),
        axis=1,
    ).mean()
    total_sum_spatial_iou = df[[f"spatial_iou_v1_{view}" for view in VIEWS]].mean().mean()
    total_sum_weighted_spatial_iou = (
        df[[f"weighted_spatial_iou_v1_{view}" for view in VIEWS]].mean().mean()
    )
    physical_variance_mse = round(
        np.mean(
            [
                df[f"variance_mse_{view}"].apply(parse_list_of_floats).explode().mean()
                for view in VIEWS
                if f"variance_mse_{view}" in df.columns
            ]
        ),
        4,
    )
    physical_variance_spatiotemporal_iou = round(
        np.mean(
            [
                df[f"variance_spatiotemporal_iou_{view}"]
                .apply(parse_list_of_floats)
                .explode()
                .mean()
                for view in VIEWS
                if f"variance_spatiotemporal_iou_{view}" in df.columns
            ]
        ),
        4,
    )
    physical_variance_spatial = round(
        np.mean(
            [
                df[f"variance_spatial_{view}"].mean()
                for view in VIEWS
                if f"variance_spatial_{view}" in df.columns
            ]
        ),
        5,
    )
    physical_variance_weighted_spatial = round(
        np.mean(
            [
                df[f"variance_weighted_spatial_{view}"].mean()
                for view in VIEWS
                if f"variance_weighted_spatial_{view}" in df.columns
            ]
        ),
        4,
    )
    final_score = (
        (
            (total_sum_spatiotemporal_iou_v1 / physical_variance_spatiotemporal_iou)
            + (total_sum_spatial_iou / physical_variance_spatial)
            + (total_sum_weighted_spatial_iou / physical_variance_weighted_spatial)
        )
        / 3
    ) - (total_sum_v1_mse - physical_variance_mse)
    final_score *= 100
    final_score = round(max(min(final_score, 100.0), 0.0), 2)
    return final_score
