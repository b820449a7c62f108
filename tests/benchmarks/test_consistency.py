from pathlib import Path

import numpy as np
import pytest

from cosmos3_eval.benchmarks.consistency import ImagineConfig, ImaginePush
from cosmos3_eval.benchmarks.consistency_open import (
    InverseConfig,
    InversePush,
    JointConfig,
    JointPush,
)
from cosmos3_eval.models.baselines import OracleModel, RandomModel
from cosmos3_eval.models.consistency_baselines import DreamerModel, MiscalibratedModel, StillModel

SMALL = {"image_size": 48}  # inverse-push only: the motion masks need >= 96 px
MASKED = {"image_size": 96}


def run(bench, model, indices, batch):
    """Scores per sample, calling the model in batches of ``batch`` (like the sample loop)."""
    method = getattr(model, bench.capability.value)
    out = {}
    for lo in range(0, len(indices), batch):
        samples = [bench.sample(i, 1000 + i) for i in indices[lo : lo + batch]]
        reqs = [bench.request(s, privileged=model.info.privileged) for s in samples]
        for s, r, o in zip(samples, reqs, bench.call_model(method, reqs)):
            out[s.index] = {k: v.value for k, v in bench.score(s, r, o).scores.items()}
    return out


@pytest.fixture(scope="module")
def imagine():
    b = ImaginePush("imagine-push-v2", ImagineConfig(horizon=40, chunk_size=5, **MASKED), Path())
    yield b
    b.close()


def test_imagine_orders_oracle_reference_models_and_random(imagine):
    idx = list(range(4))
    oracle = run(imagine, OracleModel(), idx, 4)
    assert all(s["consistency"] == 1.0 for s in oracle.values())
    assert all(s["success"] == 1.0 for s in oracle.values())
    mis = np.mean([s["consistency"] for s in run(imagine, MiscalibratedModel(), idx, 4).values()])
    dream = run(imagine, DreamerModel(), idx, 4)
    rand = np.mean([s["consistency"] for s in run(imagine, RandomModel(), idx, 4).values()])
    assert 1.0 > mis > max(rand, np.mean([s["consistency"] for s in dream.values()]))
    assert all(s["success"] == 0.0 for s in dream.values())
    assert all(0 < s["ceiling_consistency"] <= 1 for s in oracle.values())


def test_imagine_scores_do_not_depend_on_the_batch_size(imagine):
    idx = list(range(5))
    for model in (MiscalibratedModel(), RandomModel()):
        assert run(imagine, model, idx, 1) == run(imagine, model, idx, 5)


def test_imagine_doing_and_predicting_nothing_scores_0_in_v2_and_1_in_v1(imagine):
    scores = run(imagine, StillModel(), [0, 1], 2)
    assert all(s["consistency"] == 0.0 and s["success"] == 0.0 for s in scores.values())
    v1 = ImaginePush("imagine-push-v1", ImagineConfig(scoring="v1", **MASKED), Path())
    assert all(s["consistency"] > 0.95 for s in run(v1, StillModel(), [0, 1], 2).values())
    v1.close()


def test_imagine_records_a_bad_output_on_its_episode_only(imagine):
    class Bad(RandomModel):
        def act_with_video(self, requests):
            out = super().act_with_video(requests)
            return [ValueError("boom") if "/000000/" in r.id else o for r, o in zip(requests, out)]

    reqs = [imagine.request(imagine.sample(i, i), False) for i in range(2)]
    outs = imagine.call_model(Bad().act_with_video, reqs)
    assert isinstance(outs[0], ValueError) and not isinstance(outs[1], Exception)


def test_joint_video_of_success_with_failing_actions_scores_low():
    b = JointPush("joint-push-v2", JointConfig(horizon=30, **MASKED), Path())
    idx = list(range(4))
    oracle, dream = run(b, OracleModel(), idx, 4), run(b, DreamerModel(), idx, 2)
    assert all(s["agreement"] == 1.0 and s["success"] == 1.0 for s in oracle.values())
    assert all(s["agreement"] < 0.3 and s["success"] == 0.0 for s in dream.values())
    still = run(b, StillModel(), idx, 4)
    assert all(s["agreement"] == 0.0 and s["success"] == 0.0 for s in still.values())
    mis = np.mean([s["agreement"] for s in run(b, MiscalibratedModel(), idx, 4).values()])
    assert 0.05 < mis < 1.0
    assert run(b, MiscalibratedModel(), idx, 1) == run(b, MiscalibratedModel(), idx, 4)
    b.close()


def test_inverse_dynamics_errors_order_and_given_goal_sends_two_frames():
    b = InversePush("inverse-push-v1", InverseConfig(**SMALL), Path())
    idx = list(range(6))
    oracle = run(b, OracleModel(), idx, 3)
    assert all(s["final_state_error"] == 0.0 and s["action_mse"] == 0.0 for s in oracle.values())
    mis = np.mean([s["final_state_error"] for s in run(b, MiscalibratedModel(), idx, 3).values()])
    ceiling = np.mean([s["ceiling_final_state_error"] for s in oracle.values()])
    rand = np.mean([s["final_state_error"] for s in run(b, RandomModel(), idx, 3).values()])
    assert 0 < ceiling < mis < rand
    goal = InversePush("inverse-push-goal-v1", InverseConfig(given="goal", **SMALL), Path())
    req = goal.request(goal.sample(0, 1000), privileged=False)
    assert req.frames.shape[0] == 2 and req.frame_steps == (0, 16) and req.privileged is None
    b.close()
    goal.close()


def test_imagine_degraded_oracle_links_imagination_error_to_failure(imagine):
    scores = run(imagine, OracleModel(degrade=0.5), list(range(8)), 8)
    records = [{"scores": s, "error": None} for s in scores.values()]
    corr = imagine.corpus_metrics(records)["error_success_corr"]
    assert corr.n == 8 and corr.value is not None and corr.value < 0


def test_task_files_pin_the_scoring_version():
    from importlib.resources import files

    import yaml

    tasks = files("cosmos3_eval") / "data" / "tasks"
    for name in ("imagine-push", "joint-push"):
        for v in ("v1", "v2"):
            cfg = yaml.safe_load((tasks / f"{name}-{v}.yaml").read_text())["config"]
            assert cfg["scoring"] == v


def test_agreement_tasks_refuse_images_too_small_for_the_motion_masks():
    with pytest.raises(ValueError):
        JointConfig(image_size=48)
