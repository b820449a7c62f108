"""Seeded simulator scenes, one room per job.

* :mod:`.palette`: the colours objects are painted with and the one RGB -> hue formula;
* physqa: :mod:`.qa_spec` (records), :mod:`.qa_physics` (MJCF, rollouts),
  :mod:`.qa_layout` (placement), :mod:`.qa_questions` (generators, ``generate``);
* compositional T2I: :mod:`.t2i` (specs, layouts, perturbations, render template);
* image-to-video: :mod:`.physics` (scenarios and their simulator);
* :mod:`.render`: the one :class:`~.render.SceneRenderer` every family draws through.
"""
