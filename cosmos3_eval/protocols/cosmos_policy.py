"""Wire codec of NVIDIA's Cosmos LIBERO policy server.

Read from cosmos-framework ``scripts/action_policy_server_libero.py`` (server) and
``simulation/libero/closed_loop_eval.py`` (client).

Endpoints: ``GET /`` (health), ``GET /info``, ``POST /predict`` and ``POST /predict_batch``.

* request item: ``{"image": <base64 PNG>, "prompt": str, "domain_name": "libero",
  "image_size": 256}``; ``/predict_batch`` takes ``{"items": [item, ...]}``;
* reply: ``{"action": [[10 floats] x T], "video": [...]}``; batch: ``{"actions": [...]}``;
  an error is ``{"action": [], "error": str}`` (``{"actions": [], "error": ...}``);
* the image is the agentview and wrist frames, each rotated by 180 degrees (LIBERO returns
  them upside down), resized to 256x256 and concatenated left to right: 256x512. The server
  snaps it to its 192x320 model canvas itself.
* the prompt is the instruction plus two sentences describing the concatenated views.

cosmos3-eval adds optional ``cosmos3_seed`` / ``cosmos3_step`` / ``cosmos3_episode_id`` keys
that NVIDIA's server ignores and ``cosmos3-eval serve --protocol cosmos-policy`` uses to rebuild
the exact request (seeded baselines then act identically served and in process).
"""

import base64
import io
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from cosmos3_eval.api.media import MediaLimits, b64decode, decode_image
from cosmos3_eval.errors import ModelOutputError
from cosmos3_eval.protocols import SEED_MAX, WireFormatError, WireModel, seed_field, validate

DEFAULT_CHUNK = 16
IMAGE_SIZE = 256
MODEL_CANVAS = (192, 320)
"""(height, width) the reference server snaps the 256x512 concatenation to."""
CAMERAS = ("agentview", "robot0_eye_in_hand")
CONCAT_VIEW_SENTENCE = "This video contains concatenated views from multiple camera perspectives."
LAYOUT_SENTENCE = (
    "The left half shows the third-person view; the right half shows the wrist-mounted camera."
)
META = ("cosmos3_seed", "cosmos3_step", "cosmos3_episode_id")


def rotate_180(image: np.ndarray) -> np.ndarray:
    """Rotate an ``(H, W, C)`` frame by 180 degrees (its own inverse)."""
    return np.ascontiguousarray(np.asarray(image)[::-1, ::-1])


def resize_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of a uint8 ``(H, W, 3)`` image (PIL, as the reference client)."""
    from PIL import Image

    img = np.asarray(image, np.uint8)
    if img.shape[:2] == (height, width):
        return img
    pil = Image.fromarray(img).resize((width, height), resample=Image.Resampling.BILINEAR)
    return np.asarray(pil, np.uint8)


def concat_views(images: list[np.ndarray], size: int = IMAGE_SIZE) -> np.ndarray:
    """Resize each view to ``size x size`` and concatenate left to right."""
    return np.concatenate([resize_image(im, size, size) for im in images], axis=1)


def split_views(concat: np.ndarray, n: int) -> list[np.ndarray]:
    """Inverse of :func:`concat_views` for equal-width views."""
    w = concat.shape[1] // n
    return [np.ascontiguousarray(concat[:, i * w : (i + 1) * w]) for i in range(n)]


def encode_png(image: np.ndarray) -> str:
    """Base64 PNG of a uint8 image (lossless)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_png(data: str) -> np.ndarray:
    """Inverse of :func:`encode_png` (RGB uint8)."""
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data))) as img:
        return np.asarray(img.convert("RGB"), np.uint8).copy()


def prompt_for(instruction: str) -> str:
    """The reference client's concat-view prompt."""
    p = instruction.rstrip()
    for sentence in (CONCAT_VIEW_SENTENCE, LAYOUT_SENTENCE):
        p = p + (" " if p.endswith(".") else ". ") + sentence
    return p


def instruction_of(prompt: str) -> str:
    """Inverse of :func:`prompt_for` (an instruction's own trailing period is not recovered)."""
    suffix = f" {CONCAT_VIEW_SENTENCE} {LAYOUT_SENTENCE}"
    if not prompt.endswith(suffix):
        return prompt
    base = prompt[: -len(suffix)]
    return base[:-1] if base.endswith(".") else base


@dataclass(frozen=True)
class PolicyItem:
    """One decoded ``/predict`` item.

    Attributes:
        images: The camera frames as the simulator returned them (rotated by 180 degrees).
        instruction: The task instruction (prompt without the view sentences).
        seed: cosmos3-eval extension (0 if absent).
        step: cosmos3-eval extension (0 if absent).
        episode_id: cosmos3-eval extension ("" if absent).
    """

    images: dict[str, np.ndarray]
    instruction: str
    seed: int = 0
    step: int = 0
    episode_id: str = ""


def encode_item(
    sim_images: dict[str, np.ndarray],
    instruction: str,
    seed: int | None = None,
    step: int | None = None,
    episode_id: str | None = None,
    domain_name: str = "libero",
) -> dict[str, object]:
    """A request item from simulator frames (rotated back upright, concatenated, PNG)."""
    upright = [rotate_180(sim_images[c]) for c in CAMERAS]
    item: dict[str, object] = {
        "image": encode_png(concat_views(upright)),
        "prompt": prompt_for(instruction),
        "domain_name": domain_name,
        "image_size": IMAGE_SIZE,
    }
    for key, value in zip(META, (seed, step, episode_id)):
        if value is not None:
            item[key] = value
    return item


class PredictItem(WireModel):
    """One ``/predict`` body or ``/predict_batch`` item."""

    image: str
    prompt: str
    domain_name: str = "libero"
    image_size: int | None = Field(None, ge=1)
    cosmos3_seed: int = seed_field(0)
    cosmos3_step: int = Field(0, ge=0, le=SEED_MAX)
    cosmos3_episode_id: str = Field("", max_length=256)


class PredictBatch(WireModel):
    """A ``/predict_batch`` body."""

    items: list[PredictItem] = Field(min_length=1, max_length=256)


def decode_item(item: object, limits: MediaLimits | None = None) -> PolicyItem:
    """Inverse of :func:`encode_item` (frames back in the simulator's orientation).

    Args:
        item: A request item (validated here: any shape may arrive) or a :class:`PredictItem`.
        limits: Bounds on the concatenated image (checked from its header).

    Raises:
        WireFormatError: Not an item, undecodable or oversized image, or views of no width.
    """
    if not isinstance(item, PredictItem):
        item = validate(PredictItem, item, "policy request")
    try:
        concat = decode_image(b64decode(item.image, "image"), "image", limits or MediaLimits())
    except ModelOutputError as exc:
        raise WireFormatError(str(exc)) from None
    if concat.shape[1] < len(CAMERAS) or concat.shape[1] % len(CAMERAS):
        raise WireFormatError(f"image width must be a multiple of {len(CAMERAS)} views")
    views = split_views(concat, len(CAMERAS))
    images = {c: rotate_180(v) for c, v in zip(CAMERAS, views)}
    return PolicyItem(
        images=images,
        instruction=instruction_of(item.prompt),
        seed=item.cosmos3_seed,
        step=item.cosmos3_step,
        episode_id=item.cosmos3_episode_id,
    )


def parse_actions(chunk: object, dim: int = 10) -> np.ndarray:
    """A ``(T, dim)`` float64 array from a reply's action list (checked)."""
    arr = np.asarray(chunk, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < dim:
        raise ValueError(f"server returned actions of shape {arr.shape}, expected (T, {dim})")
    return arr[:, :dim]
