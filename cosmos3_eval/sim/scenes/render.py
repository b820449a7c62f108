"""The one scene renderer: physqa scenes, compositional T2I specs and physics scenarios.

:class:`SceneRenderer` owns one GL context for its image size and draws any MuJoCo model into
it. ``mujoco.Renderer`` creates a GL context per model (~0.1-0.4 s on software GL, more than a
whole scenario's physics), so models are *bound* instead: binding makes only an
``MjrContext`` and an ``MjvScene`` for the model, and is skipped when the model is unchanged.
The fast settings of :mod:`cosmos3_eval.sim.render` apply (no shadows or reflections,
``offsamples = 0``).

Two families draw through compiled templates that are bound once and reposed per scene:

* physqa (:mod:`.qa_spec`): a fixed number of geom slots whose type, size and colour are
  rewritten per scene and whose poses are copied from the physics (:meth:`qa_image`,
  :meth:`qa_video`, :meth:`qa_segmentation`);
* compositional T2I (:mod:`.t2i`): mocap slots per shape, moved per spec (:meth:`t2i_image`).

Physics scenarios (:mod:`.physics`) bind their own model per scenario and call
:meth:`update`, :meth:`rgb` and :meth:`geom_ids` directly.
"""

from __future__ import annotations

import atexit
import math
from typing import Any

import numpy as np

from cosmos3_eval.sim.render import apply_fast_settings, disable_costly_flags, import_mujoco
from cosmos3_eval.sim.scenes import t2i
from cosmos3_eval.sim.scenes.palette import T2I_OFF_PALETTE
from cosmos3_eval.sim.scenes.qa_physics import render_template_mjcf, simulate, static_poses
from cosmos3_eval.sim.scenes.qa_spec import COLOURS, MAX_SLOTS, Scene

_GEOM_TYPE = {"box": 6, "sphere": 2, "cylinder": 5, "capsule": 3}  # mjtGeom values


class SceneRenderer:
    """Offscreen RGB and segmentation rendering at one size through one GL context.

    Args:
        width: Image width.
        height: Image height.
    """

    def __init__(self, width: int, height: int):
        mj = import_mujoco()
        self._mj = mj
        self.width, self.height = width, height
        self._gl: Any = mj.GLContext(width, height)
        self._gl.make_current()
        self._viewport = mj.MjrRect(0, 0, width, height)
        self._buf = np.empty((height, width, 3), np.uint8)
        self._model: Any = None
        self._con: Any = None
        self._scene: Any = None
        self._qa: _QATemplate | None = None
        self._t2i: _T2ITemplate | None = None
        if not _OPEN_HOOKED:
            # Registered after mujoco's own EGL atexit hook, so ours runs first (LIFO).
            atexit.register(_close_open)
            _OPEN_HOOKED.append(True)
        _OPEN.append(self)

    # ------------------------------------------------------------------------------ generic

    def bind(self, model: Any) -> None:
        """Prepare for rendering ``model`` (replaces the previously bound model's context)."""
        if model is self._model:
            return
        mj = self._mj
        self._gl.make_current()
        if self._con is not None:
            self._con.free()
        apply_fast_settings(model, self.width, self.height)
        self._model = model
        self._con = mj.MjrContext(model, mj.mjtFontScale.mjFONTSCALE_50)
        mj.mjr_setBuffer(mj.mjtFramebuffer.mjFB_OFFSCREEN, self._con)
        self._scene = mj.MjvScene(model, maxgeom=max(100, 4 * model.ngeom))
        disable_costly_flags(self._scene)

    def update(self, data: Any, camera: Any, option: Any = None) -> None:
        """Update the bound model's scene from ``data`` seen by ``camera`` (an ``MjvCamera``)."""
        mj = self._mj
        option = option if option is not None else mj.MjvOption()
        mj.mjv_updateScene(
            self._model, data, option, None, camera, mj.mjtCatBit.mjCAT_ALL, self._scene
        )

    def rgb(self) -> np.ndarray:
        """Render the updated scene: ``(H, W, 3)`` uint8."""
        self._draw()
        return np.flipud(self._buf).copy()  # OpenGL rows are bottom-up

    def geom_ids(self) -> np.ndarray:
        """Model geom id per pixel of the updated scene (``-1`` = no geom): ``(H, W)`` int."""
        mj = self._mj
        flags = self._scene.flags
        flags[mj.mjtRndFlag.mjRND_SEGMENT] = flags[mj.mjtRndFlag.mjRND_IDCOLOR] = 1
        try:
            self._draw()
        finally:
            flags[mj.mjtRndFlag.mjRND_SEGMENT] = flags[mj.mjtRndFlag.mjRND_IDCOLOR] = 0
        seg = np.flipud(self._buf).astype(np.int32)
        ids = seg[..., 0] | (seg[..., 1] << 8) | (seg[..., 2] << 16)  # segid + 1; 0 = none
        lut = np.full(self._scene.ngeom + 1, -1, np.int64)
        for i in range(self._scene.ngeom):
            g = self._scene.geoms[i]
            if g.objtype == mj.mjtObj.mjOBJ_GEOM and g.segid >= 0:
                lut[g.segid + 1] = g.objid
        return lut[np.clip(ids, 0, self._scene.ngeom)]

    def _draw(self) -> None:
        mj = self._mj
        self._gl.make_current()
        mj.mjr_render(self._viewport, self._scene, self._con)
        mj.mjr_readPixels(self._buf, None, self._viewport, self._con)

    def close(self) -> None:
        """Free the GL resources."""
        if self._con is not None:
            self._con.free()
            self._con = None
            self._model = None
        if self._gl is not None:
            self._gl.free()
            self._gl = None
        if self in _OPEN:
            _OPEN.remove(self)

    # ------------------------------------------------------------------------------ physqa

    def _qa_pose(self, xpos: np.ndarray, xmat: np.ndarray, cam: Any) -> None:
        qa = self._qa
        assert qa is not None
        n = len(xpos)
        qa.data.geom_xpos[qa.slots[:n]] = xpos
        qa.data.geom_xmat[qa.slots[:n]] = xmat
        self.update(qa.data, cam, qa.option)

    def _qa_setup(self, scene: Scene) -> Any:
        if self._qa is None:
            self._qa = _QATemplate(self._mj)
        self.bind(self._qa.model)
        return self._qa.setup(scene)

    def qa_image(self, scene: Scene) -> np.ndarray:
        """Render a static physqa scene: ``(H, W, 3)`` uint8."""
        cam = self._qa_setup(scene)
        self._qa_pose(*static_poses(scene), cam)
        return self.rgb()

    def qa_video(self, scene: Scene, frames: int) -> np.ndarray:
        """Simulate and render ``frames`` frames evenly over ``[0, video_span]``."""
        roll = simulate(scene, np.linspace(0.0, scene.video_span, frames))
        cam = self._qa_setup(scene)
        out = []
        for xpos, xmat in roll.frames:
            self._qa_pose(xpos, xmat, cam)
            out.append(self.rgb())
        return np.stack(out)

    def qa_segmentation(self, scene: Scene) -> np.ndarray:
        """Object index per pixel of a static physqa scene (-1 = not an object); for tests."""
        cam = self._qa_setup(scene)
        self._qa_pose(*static_poses(scene), cam)
        ids = self.geom_ids()
        out = np.full(ids.shape, -1, dtype=np.int64)
        assert self._qa is not None
        for i, g in enumerate(self._qa.slots):
            out[ids == g] = i
        return out

    # ---------------------------------------------------------------------- compositional T2I

    def t2i_image(self, spec: t2i.SceneSpec) -> np.ndarray:
        """Render a T2I spec's objects in its view: ``(H, W, 3)`` uint8."""
        if self._t2i is None:
            self._t2i = _T2ITemplate(self._mj)
        self.bind(self._t2i.model)
        self.update(self._t2i.data, self._t2i.pose(spec))
        return self.rgb()


_OPEN: list[SceneRenderer] = []
_OPEN_HOOKED: list[bool] = []


def _close_open() -> None:
    # Freeing before interpreter teardown avoids EGL errors from GLContext.__del__ at exit.
    while _OPEN:
        try:
            _OPEN[-1].close()
        except Exception:  # noqa: BLE001 - best effort at exit
            _OPEN.pop()


class _QATemplate:
    """The physqa template model: :data:`MAX_SLOTS` geom slots restyled per scene."""

    def __init__(self, mj: Any):
        self.mj = mj
        self.model = mj.MjModel.from_xml_string(render_template_mjcf())
        self.data = mj.MjData(self.model)
        mj.mj_forward(self.model, self.data)
        self.slots = [self.model.geom(f"slot{i}").id for i in range(MAX_SLOTS)]
        self.option = mj.MjvOption()
        self.option.geomgroup[3] = 0  # unused slots live in group 3, which is hidden

    def setup(self, scene: Scene) -> Any:
        """Restyle the slots and the light for ``scene``; returns its camera."""
        if len(scene.objects) > MAX_SLOTS:
            raise ValueError(f"at most {MAX_SLOTS} objects per scene")
        m = self.model
        for i, g in enumerate(self.slots):
            if i < len(scene.objects):
                o = scene.objects[i]
                m.geom_type[g] = _GEOM_TYPE[o.shape]
                m.geom_size[g] = o.size
                m.geom_rgba[g] = (*COLOURS[o.colour], 1.0)
                m.geom_group[g] = 0
            else:
                m.geom_group[g] = 3
        light = scene.light
        m.light_diffuse[0] = (light.diffuse,) * 3
        m.light_ambient[0] = (light.ambient,) * 3
        self.data.light_xdir[0] = light.direction
        cam = self.mj.MjvCamera()
        cam.type = self.mj.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = scene.camera.lookat
        cam.distance = scene.camera.distance
        cam.azimuth = scene.camera.azimuth
        cam.elevation = scene.camera.elevation
        return cam


class _T2ITemplate:
    """The T2I template model: mocap slots per shape, moved and recoloured per spec."""

    def __init__(self, mj: Any):
        self.mj = mj
        m = self.model = mj.MjModel.from_xml_string(t2i.render_mjcf())
        self.data = mj.MjData(m)
        self.camera = mj.MjvCamera()
        geom, mesh = mj.mjtObj.mjOBJ_GEOM, mj.mjtObj.mjOBJ_MESH
        self.slot = {
            (s, k): mj.mj_name2id(m, geom, f"{s}{k}")
            for s in t2i.SHAPES
            for k in range(t2i.MAX_OBJECTS)
        }
        self.mocap = {key: int(m.body_mocapid[m.geom_bodyid[g]]) for key, g in self.slot.items()}
        self.base_size = m.geom_size.copy()
        self.mesh_ids = [mj.mj_name2id(m, mesh, f"pyramid{i}") for i in range(len(t2i.SIZES))]
        self.floor = mj.mj_name2id(m, geom, "floor")
        # Slots change size at run time: a large bounding radius keeps them from being culled.
        m.geom_rbound[:] = np.maximum(m.geom_rbound, 1.0)
        m.geom_rbound[self.floor] = 0.0

    def pose(self, spec: t2i.SceneSpec) -> Any:
        """Place the spec's objects, light and background; returns its camera."""
        mj, m, d = self.mj, self.model, self.data
        view = spec.view
        scale = t2i.SIZES[view.size]
        m.geom_rgba[:, 3] = 0.0
        m.geom_rgba[self.floor] = (*(t2i.BACKGROUNDS[view.background],) * 3, 1.0)
        d.mocap_pos[:] = (0.0, 0.0, -5.0)
        used = {s: 0 for s in t2i.SHAPES}
        for o in spec.objects:
            k = used[o.shape]
            used[o.shape] += 1
            g, b = self.slot[(o.shape, k)], self.mocap[(o.shape, k)]
            if o.shape == "pyramid":
                m.geom_dataid[g] = self.mesh_ids[view.size]
            else:
                m.geom_size[g] = self.base_size[g] * scale
            # Off-palette colours only appear in the scorer validation's distractors.
            rgb = t2i.PALETTE.get(o.colour) or T2I_OFF_PALETTE[o.colour]
            m.geom_rgba[g] = (*rgb, 1.0)
            d.mocap_pos[b] = (o.x, o.y, t2i.REST_HEIGHT[o.shape] * scale)
            d.mocap_quat[b] = (math.cos(o.yaw / 2), 0.0, 0.0, math.sin(o.yaw / 2))
        light = t2i.LIGHTINGS[view.lighting]
        m.vis.headlight.ambient[:] = light["head_ambient"]
        m.vis.headlight.diffuse[:] = light["head_diffuse"]
        direction = np.asarray(light["dir"], dtype=float)
        m.light_dir[0] = direction / np.linalg.norm(direction)
        m.light_diffuse[0] = light["diffuse"]
        mj.mj_kinematics(m, d)
        cam = t2i.CAMERAS[view.camera]
        self.camera.type = mj.mjtCamera.mjCAMERA_FREE
        self.camera.lookat[:] = (0.0, 0.0, 0.0)
        self.camera.distance = cam["distance"]
        self.camera.elevation = cam["elevation"]
        self.camera.azimuth = cam["azimuth"]
        return self.camera
