"""One home for media: images and videos to and from bytes, base64, data URIs and files.

Every network adapter, the server, the cache and every artifact or dataset file use these,
so a decoding rule (what counts as a valid image, how a video is validated) is written once.
Images are ``uint8 (H, W, 3)`` and videos ``uint8 (T, H, W, 3)`` RGB, as in
:mod:`cosmos3_eval.api.types`.

Lossless choices matter for parity (scores over the network must equal in-process scores):
PNG for images, and for video an MP4 in ``libx264rgb`` at ``-qp 0``, which is bit-exact and
still decodable by any ffmpeg. ``lossless=False`` gives the ordinary ``yuv420p`` H.264 that
generation servers return.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.errors import ModelOutputError

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class MediaLimits:
    """Bounds on media decoded from untrusted bytes (a server's requests).

    Sizes are read from the file header before any pixel is decoded, so a small file that
    claims a huge image (a decompression bomb) is refused without allocating it.

    Attributes:
        max_pixels: Pixels per image or video frame.
        max_side: Width or height of an image or frame.
        max_frames: Frames per video.
        max_total_pixels: Pixels over all images and frames of one request (bounds its memory).
    """

    max_pixels: int = 16 * 2**20
    max_side: int = 4096
    max_frames: int = 512
    max_total_pixels: int = 2**28

    def check_size(self, width: int, height: int, what: str) -> None:
        """Refuse a ``width x height`` image outside the limits.

        Raises:
            ModelOutputError: Empty, wider or taller than ``max_side``, or over ``max_pixels``.
        """
        if width < 1 or height < 1:
            raise ModelOutputError(f"{what}: empty size {width}x{height}")
        if max(width, height) > self.max_side or width * height > self.max_pixels:
            raise ModelOutputError(
                f"{what}: {width}x{height} exceeds the limits ({self.max_side} per side, "
                f"{self.max_pixels} pixels)"
            )

    def check_video(self, frames: int, width: int, height: int, what: str) -> None:
        """Refuse a ``frames x width x height`` video outside the limits.

        Raises:
            ModelOutputError: A frame size outside the limits, or too many frames or pixels.
        """
        self.check_size(width, height, what)
        if frames < 1 or frames > self.max_frames:
            raise ModelOutputError(f"{what}: {frames} frames, expected 1..{self.max_frames}")
        if frames * width * height > self.max_total_pixels:
            raise ModelOutputError(
                f"{what}: {frames}x{width}x{height} exceeds {self.max_total_pixels} pixels"
            )


class Cancelled(Exception):
    """An encode stopped because its request was cancelled (the client went away)."""


def as_image(array: Any, what: str = "image") -> np.ndarray:
    """Validate and return a ``uint8 (H, W, 3)`` image (grey or RGBA are converted).

    Raises:
        ModelOutputError: Wrong dtype, rank or channel count.
    """
    img = np.asarray(array)
    if img.dtype != np.uint8:
        raise ModelOutputError(f"{what}: expected uint8, got {img.dtype}")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] not in (3, 4) or img.shape[0] == 0 or img.shape[1] == 0:
        raise ModelOutputError(f"{what}: expected shape (H, W, 3), got {img.shape}")
    return np.ascontiguousarray(img[..., :3])


def as_video(array: Any, what: str = "video") -> np.ndarray:
    """Validate and return a ``uint8 (T, H, W, 3)`` video.

    Raises:
        ModelOutputError: Wrong dtype or shape.
    """
    vid = np.asarray(array)
    if vid.dtype != np.uint8:
        raise ModelOutputError(f"{what}: expected uint8, got {vid.dtype}")
    if vid.ndim != 4 or vid.shape[-1] != 3 or 0 in vid.shape:
        raise ModelOutputError(f"{what}: expected shape (T, H, W, 3), got {vid.shape}")
    return np.ascontiguousarray(vid)


def encode_image(image: np.ndarray, fmt: str = "png", quality: int = 95) -> bytes:
    """Encode an image as PNG (lossless) or JPEG bytes."""
    from PIL import Image

    fmt = fmt.lower()
    if fmt not in _MIME:
        raise ValueError(f"unsupported image format '{fmt}' (png, jpeg)")
    buf = io.BytesIO()
    pil = Image.fromarray(as_image(image))
    if fmt == "png":
        # compress_level=1: these images live for one request; speed beats size.
        pil.save(buf, format="PNG", compress_level=1)
    else:
        pil.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def decode_image(data: bytes, what: str = "image", limits: MediaLimits | None = None) -> np.ndarray:
    """Decode PNG / JPEG / any Pillow-readable bytes into ``uint8 (H, W, 3)``.

    Args:
        data: The encoded image.
        what: Names the image in error messages.
        limits: Checked against the header's size before decoding (untrusted input).

    Raises:
        ModelOutputError: The bytes are not a readable image, or exceed ``limits``.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as pil:
            if limits is not None:
                limits.check_size(*pil.size, what)  # header only: nothing decoded yet
            return as_image(np.asarray(pil.convert("RGB")), what)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        raise ModelOutputError(f"{what}: not a decodable image ({exc})") from exc


def b64encode(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str = "base64 payload") -> bytes:
    """Strictly decode base64 (invalid characters or padding are an error, not skipped).

    Raises:
        ModelOutputError: ``text`` is not valid base64.
    """
    if not isinstance(text, str) or not text:
        raise ModelOutputError(f"{what}: expected a non-empty base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ModelOutputError(f"{what}: invalid base64 ({exc})") from exc


def image_data_uri(image: np.ndarray, fmt: str = "png") -> str:
    """``data:image/png;base64,...`` for an image (the OpenAI ``image_url`` convention)."""
    return f"data:{_MIME[fmt.lower()]};base64,{b64encode(encode_image(image, fmt))}"


def parse_data_uri(uri: str, what: str = "data URI") -> tuple[str, bytes]:
    """Split a base64 data URI into (mime type, bytes).

    Raises:
        ModelOutputError: Not a base64 data URI.
    """
    if not isinstance(uri, str) or not uri.startswith("data:") or "," not in uri:
        raise ModelOutputError(f"{what}: expected a 'data:<mime>;base64,...' URI")
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64"):
        raise ModelOutputError(f"{what}: only base64 data URIs are supported")
    return header[5 : -len(";base64")], b64decode(payload, what)


def decode_image_uri(
    uri: str, what: str = "image", limits: MediaLimits | None = None
) -> np.ndarray:
    """Decode an image data URI into ``uint8 (H, W, 3)`` (``limits`` as :func:`decode_image`)."""
    _, data = parse_data_uri(uri, what)
    return decode_image(data, what, limits)


class _Kill(BaseException):
    """Thrown into imageio-ffmpeg's writer to kill ffmpeg at once.

    imageio-ffmpeg kills its child on a BaseException; closing the pipe would instead wait for
    x264 to flush its lookahead, which takes many seconds.
    """


def _encode_mp4_cancellable(
    video: np.ndarray, kwargs: dict[str, Any], cancel: threading.Event
) -> bytes:
    """The same ffmpeg pipe imageio drives, fed frame by frame; killed when ``cancel`` is set."""
    import tempfile

    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "video.mp4")
        gen = imageio_ffmpeg.write_frames(
            path,
            (video.shape[2], video.shape[1]),
            pix_fmt_in="rgb24",
            pix_fmt_out=kwargs["pixelformat"],
            fps=kwargs["fps"],
            quality=kwargs.get("quality"),
            codec=kwargs["codec"],
            macro_block_size=kwargs["macro_block_size"],
            output_params=kwargs.get("output_params", []),
        )
        gen.send(None)  # starts ffmpeg
        for frame in video:
            if cancel.is_set():
                try:
                    gen.throw(_Kill())
                except _Kill:
                    pass
                raise Cancelled("video encode cancelled")
            gen.send(np.ascontiguousarray(frame))
        gen.close()  # normal end: ffmpeg finishes the file
        return Path(path).read_bytes()


def encode_video(
    video: np.ndarray,
    fmt: str = "mp4",
    fps: float = 8.0,
    lossless: bool = True,
    cancel: threading.Event | None = None,
) -> bytes:
    """Encode a video as MP4 (H.264) or GIF bytes via imageio / ffmpeg.

    Args:
        video: ``uint8 (T, H, W, 3)``.
        fmt: ``"mp4"`` or ``"gif"``.
        fps: Frame rate written into the container.
        lossless: MP4 only: bit-exact ``libx264rgb -qp 0`` (default) instead of ``yuv420p``.
        cancel: When set, the encode stops before the next frame and its ffmpeg child exits.

    Raises:
        Cancelled: ``cancel`` was set.
    """
    import imageio.v3 as iio

    video = as_video(video)
    if cancel is not None and fmt == "mp4":
        return _encode_mp4_cancellable(video, _video_kwargs(video, fmt, fps, lossless), cancel)
    return iio.imwrite(
        "<bytes>",
        video,
        extension=".gif" if fmt == "gif" else ".mp4",
        **_video_kwargs(video, fmt, fps, lossless),
    )


def _video_kwargs(video: np.ndarray, fmt: str, fps: float, lossless: bool) -> dict[str, Any]:
    if fmt == "gif":
        return {"duration": 1000.0 / fps, "loop": 0}
    if fmt != "mp4":
        raise ValueError(f"unsupported video format '{fmt}' (mp4, gif)")
    if lossless:
        kwargs: dict[str, Any] = {
            "codec": "libx264rgb",
            "pixelformat": "bgr24",
            "output_params": ["-qp", "0"],
        }
    else:
        # yuv420p needs even sizes; macro_block_size=1 stops imageio from resizing silently.
        kwargs = {"codec": "libx264", "pixelformat": "yuv420p", "quality": 8}
        if video.shape[1] % 2 or video.shape[2] % 2:
            kwargs["pixelformat"] = "yuv444p"
    return {"fps": fps, "macro_block_size": 1, **kwargs}


def _read_limited(data: bytes, ext: str, what: str, limits: MediaLimits) -> np.ndarray:
    """Decode at most ``limits.max_frames`` frames, the size checked from the header first."""
    import imageio.v3 as iio

    if ext == ".gif":
        from PIL import Image

        with Image.open(io.BytesIO(data)) as pil:
            width, height = pil.size
    else:
        width, height = iio.immeta(data, extension=ext)["size"]
    limits.check_video(1, int(width), int(height), what)
    frames = []
    for frame in iio.imiter(data, extension=ext):
        frames.append(np.asarray(frame))
        limits.check_video(len(frames), int(width), int(height), what)
    return np.stack(frames) if frames else np.zeros((0, 0, 0, 3), np.uint8)


def decode_video(data: bytes, what: str = "video", limits: MediaLimits | None = None) -> np.ndarray:
    """Decode MP4 / GIF / WebM bytes into ``uint8 (T, H, W, 3)``.

    Args:
        data: The encoded video.
        what: Names the video in error messages.
        limits: Frame size (from the header, before decoding) and count bounds for
            untrusted input.

    Raises:
        ModelOutputError: Not a decodable video, or over ``limits``.
    """
    import imageio.v3 as iio

    ext = ".gif" if data[:6] in (b"GIF87a", b"GIF89a") else ".mp4"
    try:
        if limits is not None:
            frames = _read_limited(data, ext, what, limits)
        else:
            frames = iio.imread(data, extension=ext, index=None)
    except ModelOutputError:
        raise
    except Exception as exc:  # imageio raises many types (OSError, RuntimeError, ...)
        raise ModelOutputError(f"{what}: not a decodable video ({exc})") from exc
    frames = np.asarray(frames)
    if frames.ndim == 3:  # a single-frame GIF
        frames = frames[None]
    return as_video(frames[..., :3], what)


def check_image(image: np.ndarray, width: int, height: int, what: str = "image") -> np.ndarray:
    """Validate an image and its size against the request.

    Raises:
        ModelOutputError: Wrong dtype, shape or size.
    """
    image = as_image(image, what)
    if image.shape[:2] != (height, width):
        raise ModelOutputError(
            f"{what}: expected {width}x{height}, got {image.shape[1]}x{image.shape[0]}"
        )
    return image


def check_video(
    video: np.ndarray, num_frames: int, width: int, height: int, what: str = "video"
) -> np.ndarray:
    """Validate a video, its frame count and frame size against the request.

    Raises:
        ModelOutputError: Wrong dtype, shape, frame count or size.
    """
    video = as_video(video, what)
    if video.shape[0] != num_frames:
        raise ModelOutputError(f"{what}: expected {num_frames} frames, got {video.shape[0]}")
    if video.shape[1:3] != (height, width):
        raise ModelOutputError(
            f"{what}: expected {width}x{height} frames, got {video.shape[2]}x{video.shape[1]}"
        )
    return video


def _part(path: Path) -> Path:
    """A hidden sibling with the same suffix (encoders pick the format from it)."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def _publish(path: Path, write: Any) -> None:
    """Write via ``write(tmp)`` + rename: a failed write (a full disk) leaves no partial file."""
    tmp = _part(path)
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_image(path: Path, image: np.ndarray) -> None:
    """Write an image file; the format follows the suffix (``.png`` for artifacts)."""
    import imageio.v3 as iio

    data = iio.imwrite("<bytes>", image, extension=path.suffix)
    _publish(path, lambda tmp: tmp.write_bytes(data))


def write_gif(path: Path, video: np.ndarray, fps: float) -> None:
    """Write a looping GIF (the artifact format of QA and I2V samples)."""
    import imageio.v3 as iio

    # Encoded in memory: an encoder that fails on a full disk leaves no half-closed writer.
    data = iio.imwrite("<bytes>", video, extension=".gif", duration=1000.0 / fps, loop=0)
    _publish(path, lambda tmp: tmp.write_bytes(data))


def write_mp4(path: Path, frames: Any, fps: float) -> None:
    """Write an episode video as H.264 MP4 at imageio's default quality."""
    import imageio.v2 as imageio

    # macro_block_size=1: frames are written at their size, never silently resized.
    _publish(path, lambda tmp: imageio.mimsave(tmp, frames, fps=fps, macro_block_size=1))


def read_image(path: Path) -> np.ndarray:
    """Read an image file as an array (channels as stored; callers validate)."""
    import imageio.v3 as iio

    return np.asarray(iio.imread(path))


def read_video(path: Path) -> np.ndarray:
    """Read every frame of a video or animated image file (channels as stored)."""
    import imageio.v3 as iio

    return np.asarray(iio.imread(path, index=None))
