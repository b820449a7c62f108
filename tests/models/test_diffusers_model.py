import json

import numpy as np
import pytest
import torch

from cosmos3_eval.api.model import Capability, capabilities
from cosmos3_eval.api.types import I2VRequest, T2IRequest
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import UserError


def build_tiny_t2i(root):
    """A tiny Stable Diffusion pipeline from configs (random weights), saved locally."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
    )
    vae = AutoencoderKL(
        block_out_channels=(8,),
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        norm_num_groups=4,
        sample_size=16,
    )
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in "abcdefghijklmnopqrstuvwxyz":
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    (root / "tok").mkdir(parents=True)
    (root / "tok" / "vocab.json").write_text(json.dumps(vocab))
    (root / "tok" / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(
        str(root / "tok" / "vocab.json"), str(root / "tok" / "merges.txt"), model_max_length=16
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=16,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            projection_dim=16,
        )
    )
    scheduler = DDIMScheduler(
        beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(root / "pipe")
    return root / "pipe"


def build_tiny_i2v(root):
    """A tiny Stable Video Diffusion pipeline from configs (random weights), saved locally."""
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        sample_size=8,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        block_out_channels=(32, 64),
        addition_time_embed_dim=4,
        projection_class_embeddings_input_dim=12,
        layers_per_block=1,
        cross_attention_dim=16,
        num_attention_heads=(2, 2),
    )
    vae = AutoencoderKLTemporalDecoder(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        block_out_channels=(32,),
        layers_per_block=1,
        latent_channels=4,
    )
    # SVD always resizes the conditioning image to 224 for its CLIP encoder.
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=16,
            projection_dim=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=224,
            intermediate_size=32,
            patch_size=32,
        )
    )
    processor = CLIPImageProcessor(crop_size=224, size={"shortest_edge": 224})
    scheduler = EulerDiscreteScheduler(
        beta_schedule="scaled_linear",
        prediction_type="v_prediction",
        interpolation_type="linear",
        use_karras_sigmas=True,
        timestep_spacing="leading",
        steps_offset=1,
    )
    pipe = StableVideoDiffusionPipeline(
        vae=vae, image_encoder=encoder, unet=unet, scheduler=scheduler, feature_extractor=processor
    )
    pipe.save_pretrained(root / "svd")
    return root / "svd"


@pytest.fixture(scope="module")
def t2i_dir(tmp_path_factory):
    return build_tiny_t2i(tmp_path_factory.mktemp("sd"))


def test_text_to_image_from_local_pipeline(t2i_dir):
    m = create_model(
        "diffusers", {"path": str(t2i_dir), "num_inference_steps": 2, "guidance_scale": 1.0}
    )
    assert capabilities(m) == frozenset({Capability.GENERATE_IMAGES})
    assert m.info.checkpoint_sha256 and m.info.params["path"] == str(t2i_dir)
    reqs = [
        T2IRequest(id=f"t{i}", prompt="a red cube", width=24, height=16, seed=s)
        for i, s in enumerate((1, 1, 2))
    ]
    a, b, c = m.generate_images(reqs)
    assert a.image.shape == (16, 24, 3) and a.image.dtype == np.uint8
    np.testing.assert_array_equal(a.image, b.image)  # same seed, same image
    assert not np.array_equal(a.image, c.image)
    alone = m.generate_images([reqs[2]])[0]  # batch composition does not matter
    np.testing.assert_array_equal(alone.image, c.image)


def test_bad_pipeline_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="model_index.json"):
        create_model("diffusers", {"path": str(tmp_path)})


@pytest.mark.slow
def test_image_to_video_from_local_pipeline(tmp_path):
    m = create_model("diffusers", {"path": str(build_tiny_i2v(tmp_path)), "num_inference_steps": 2})
    assert capabilities(m) == frozenset({Capability.GENERATE_VIDEOS})
    frames = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    r = I2VRequest(id="v", prompt="falls", frames=frames, num_frames=4, fps=4.0, seed=3)
    out = m.generate_videos([r, r])
    assert out[0].video.shape == (4, 16, 16, 3)
    np.testing.assert_array_equal(out[0].video[:2], frames)
    np.testing.assert_array_equal(out[0].video, out[1].video)
