"""Models that try to cheat, for the trust tests (issue 12): each must fail to score.

* :class:`SelfDeclaredOracle` declares ``ModelInfo(privileged=True)`` and answers with
  ``request.privileged["answer"]``: refused before its run directory exists.
* :class:`SeedRebuilder` receives no privileged data but rebuilds the physqa-sim question from
  ``request.seed`` (or from the index in ``request.id`` and the public ``derive_seed``) with the
  package's own generator, and answers with the generated truth when the generated question
  and choices match the request's. It scores ~1.0 on an open run and chance on a sealed run,
  where nothing it receives regenerates the scene (it then answers like ``random``, or from an
  unrelated scene whose question happens to read the same).
"""

from __future__ import annotations

from cosmos3_eval.api.benchmark import derive_seed
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import QARequest, TextOutput
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.models.baselines import OracleModel, RandomModel

SELF_DECLARED = "tests.helpers.attackers:SelfDeclaredOracle"
SEED_REBUILDER = "tests.helpers.attackers:SeedRebuilder"
ORACLE_SUBCLASS = "tests.helpers.attackers:OracleSubclass"


class SelfDeclaredOracle:
    """A third-party model that claims oracle privilege in its own ModelInfo."""

    def __init__(self) -> None:
        self.info = ModelInfo(name="oracle", privileged=True)

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        return [TextOutput((r.privileged or {}).get("answer", "A")) for r in requests]


class OracleSubclass(OracleModel):
    """A third-party subclass of the built-in oracle: inherits its privilege flag, not its grant."""


class SeedRebuilder:
    """Regenerates each physqa-sim question from what the request carries.

    Args:
        task: The public task whose generator it runs.
        base_seeds: ``--seed`` values to try with the index parsed from ``request.id``.
    """

    def __init__(self, task: str = "physqa-sim-v1", base_seeds: str = "0,1,2"):
        self.info = ModelInfo(name="seed-rebuilder", params={"task": task})
        self.task = task
        self.bench = load_benchmark(task)
        self.base_seeds = [int(s) for s in base_seeds.split(",")]
        self.fallback = RandomModel()
        self.rebuilt = 0

    def _candidates(self, r: QARequest) -> list[tuple[int, int]]:
        out = [(0, r.seed)]
        prefix, _, index = r.id.rpartition("/")
        if index.isdigit():
            out += [(int(index), derive_seed(prefix, int(index), b)) for b in self.base_seeds]
        return out

    def answer(self, requests: list[QARequest]) -> list[TextOutput]:
        out = []
        for r in requests:
            truth = None
            for index, seed in self._candidates(r):
                sample = self.bench.sample(index, seed)
                same_choices = tuple(sample.data["choices"] or ()) == tuple(r.choices or ())
                if sample.data["question"] == r.question and same_choices:
                    truth = sample.data["answer"]
                    break
            if truth is None:
                out.extend(self.fallback.answer([r]))
            else:
                self.rebuilt += 1
                out.append(TextOutput(truth))
        return out

    def close(self) -> None:
        self.bench.close()
