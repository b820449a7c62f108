"""A tiny in-memory QA benchmark for unit tests of the runner layer (no simulator).

It is a fake only for the layer above it: the runner, results and CLI tests; every real
benchmark is tested with real simulation in its own tests.
"""

from __future__ import annotations

from cosmos3_eval.api.benchmark import Sample, Scored, StaticBenchmark, sample_id
from cosmos3_eval.api.config import StrictConfig
from cosmos3_eval.api.metrics import MetricSpec, Score
from cosmos3_eval.api.model import Capability, ModelInfo
from cosmos3_eval.api.types import QARequest, TextOutput
from cosmos3_eval.errors import ModelOutputError

TOY = "tests.helpers.toybench:ToyQA"
FLAKY = "tests.helpers.toybench:FlakyModel"
CKPT = "tests.helpers.toybench:CkptModel"


class ToyConfig(StrictConfig):
    size: int = 50
    choices: int = 4


class ToyQA(StaticBenchmark):
    """Pick the letter of the correct choice; the answer is a function of the seed."""

    type_name = "toy-qa"
    capability = Capability.ANSWER
    Config = ToyConfig
    main_metric = "accuracy"
    metric_specs = (MetricSpec("accuracy", ci="wilson"),)

    def num_samples(self):
        return self.config.size

    def sample(self, index, seed):
        answer = "ABCD"[seed % self.config.choices]
        cat = ["even", "odd"][index % 2]
        return Sample(sample_id(self.task_id, index), index, seed, cat, {"answer": answer})

    def request(self, sample, privileged):
        return QARequest(
            id=sample.id,
            question="which?",
            choices=tuple("ABCD"[: self.config.choices]),
            seed=sample.seed,
            privileged={"answer": sample.data["answer"]} if privileged else None,
        )

    def score(self, sample, request, output):
        text = output.text.strip()
        if text == "NaN":
            raise ModelOutputError("unparsable output 'NaN'")
        ok = text == sample.data["answer"]
        return Scored({"accuracy": Score(float(ok), f"got {text}")}, output=text)


class FlakyModel:
    """Answers correctly except it raises on every sample whose seed is divisible by ``k``."""

    def __init__(self, k: int = 5):
        self.info = ModelInfo(name="flaky", params={"k": k})
        self.k = k
        self.seen_privileged = []

    def answer(self, requests):
        self.seen_privileged.extend(r.privileged for r in requests)
        out = []
        for r in requests:
            if r.seed % self.k == 0:
                out.append(RuntimeError("boom"))
            else:
                out.append(TextOutput("ABCD"[r.seed % 4]))
        return out


class SlowRandom:
    """The ``random`` baseline, 50 ms per call: keeps shards in flight long enough to kill one."""

    def __init__(self):
        from cosmos3_eval.models.baselines import RandomModel

        self._inner = RandomModel()
        self.info = self._inner.info

    def answer(self, requests):
        import time

        time.sleep(0.05)
        return self._inner.answer(requests)


class CkptModel:
    """Reads a 'checkpoint' (a JSON file {"skill": p}) and answers right on a fraction p."""

    def __init__(self, checkpoint: str):
        import json

        self.skill = float(json.loads(open(checkpoint).read())["skill"])
        self.info = ModelInfo(name="ckpt", params={"checkpoint": checkpoint})

    def answer(self, requests):
        out = []
        for r in requests:
            right = "ABCD"[r.seed % 4]
            good = (r.seed // 7) % 100 < self.skill * 100
            out.append(TextOutput(right if good else "ABCD"[(r.seed + 1) % 4]))
        return out
