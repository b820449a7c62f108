"""The reproduction profile of a run: the settings that must match for scores to compare.

Two runs of different checkpoints are compared on purpose; two runs that sampled with
different temperatures, inference steps or simulator versions are not comparing checkpoints.
The profile records the second kind, and ``compare`` refuses to pair runs whose profiles
differ (``--allow-profile-diff`` overrides and prints the difference).

* ``generation``: the adapter's generation / sampling settings: the model args of
  :data:`GENERATION_PARAMS` found in ``ModelInfo.params`` plus what the model's optional
  ``generation_settings()`` method returns (which wins). Other args (checkpoint path,
  ``degrade``, device) are what a comparison is about, and stay out.
* ``simulator``: MuJoCo / robosuite / gymnasium versions (the manifest's packages), the GL
  backend and render settings of a task that renders (its provenance's ``render``).
"""

from __future__ import annotations

from typing import Any

GENERATION_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "max_tokens", "max_new_tokens", "send_seed",
        "system_prompt", "image_format", "video_mode", "video_frames", "num_inference_steps",
        "guidance_scale", "negative_prompt", "chunk", "normalization", "replan_steps",
    }
)  # fmt: skip
"""Model args that are generation / sampling settings (shared by the adapters)."""


def reproduction_profile(model: Any, manifest: dict[str, Any]) -> dict[str, Any]:
    """The profile of a run about to start.

    Args:
        model: The model (its ``info.params`` and optional ``generation_settings()``).
        manifest: The run's manifest so far (``packages``, ``environment``, ``task``).

    Returns:
        ``{"generation": {...}, "simulator": {...}}`` (JSON-safe).
    """
    params = getattr(model.info, "params", {}) or {}
    generation = {k: v for k, v in params.items() if k in GENERATION_PARAMS}
    settings = getattr(model, "generation_settings", None)
    if callable(settings):
        generation.update(settings() or {})
    packages = manifest.get("packages") or {}
    render = (manifest.get("task") or {}).get("provenance", {}).get("render") or {}
    simulator = {
        "mujoco": packages.get("mujoco"),
        "robosuite": packages.get("robosuite"),
        "gymnasium": packages.get("gymnasium"),
        # From the task's render provenance only: the environment's MUJOCO_GL depends on what
        # the process rendered before, and a task that renders nothing has no backend.
        "gl_backend": render.get("gl_backend"),
        "render_settings": render.get("settings"),
    }
    return {"generation": generation, "simulator": simulator}
