"""The one "model returned N outputs" check, as the sample loop and the cache apply it."""

from pathlib import Path

import pytest

from cosmos3_eval.api.model import ModelInfo, call_batched, check_outputs
from cosmos3_eval.api.types import TextOutput
from cosmos3_eval.engine.cache import CachedModel
from cosmos3_eval.engine.loops import static_records
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.errors import ModelOutputError
from tests.helpers.toybench import ToyConfig, ToyQA


class _DropsOne:
    """Answers every request but the last: a miscounting model."""

    info = ModelInfo(name="drops-one")

    def answer(self, requests):
        return [TextOutput(text="A") for _ in requests[:-1]]


def test_check_outputs_accepts_lists_and_tuples_only_of_the_right_length():
    assert check_outputs((1, 2), 2) == [1, 2]
    with pytest.raises(ModelOutputError, match="model returned 1 outputs for 2 requests"):
        check_outputs([1], 2)
    with pytest.raises(ModelOutputError, match="model returned dict outputs for 1 requests"):
        call_batched(lambda reqs: {}, [object()])


def test_sample_loop_records_a_miscount_on_every_sample_of_the_batch(tmp_path: Path):
    bench = ToyQA("toy-qa-v1", ToyConfig(size=6), tmp_path)
    recs = list(
        static_records(bench, _DropsOne(), iter(range(6)), RunOptions(batch_size=3), tmp_path)
    )
    assert [r["index"] for r in recs] == list(range(6))
    assert {r["error"] for r in recs} == {
        "model raised ModelOutputError: model returned 2 outputs for 3 requests"
    }


def test_cache_refuses_a_miscount(tmp_path: Path):
    with pytest.raises(ModelOutputError, match="returned 1 outputs for 2 requests"):
        CachedModel(_DropsOne(), tmp_path).answer([object(), object()])
