import numpy as np
import pytest
import torch

from cosmos3_eval.api.model import Capability, capabilities
from cosmos3_eval.api.types import QARequest
from cosmos3_eval.engine.factory import create_model
from cosmos3_eval.errors import ConfigError, UserError

TEMPLATE = (
    "{% for m in messages %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endfor %}"
    "{% if add_generation_prompt %}:{% endif %}"
)


@pytest.fixture(scope="module")
def llava_dir(tmp_path_factory):
    """A tiny randomly initialised LLaVA (CLIP vision + Llama) with a local tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
        PreTrainedTokenizerFast,
    )

    words = ["<pad>", "<s>", "</s>", "<unk>", "<image>", " ", "\n"]
    words += list("abcdefghijklmnopqrstuvwxyzABCDEF0123456789.?:'()")
    vocab = {w: i for i, w in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"},
    )
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=16,
            patch_size=8,
        ),
        text_config=LlamaConfig(
            vocab_size=len(vocab),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=512,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
        ),
        image_token_index=vocab["<image>"],
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
    )
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config)
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": 16}, crop_size={"height": 16, "width": 16}
        ),
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="full",
        chat_template=TEMPLATE,
        num_additional_image_tokens=1,
    )
    root = tmp_path_factory.mktemp("llava")
    model.save_pretrained(root)
    processor.save_pretrained(root)
    return root


def test_answers_with_a_local_image_text_model(llava_dir):
    m = create_model("hf", {"path": str(llava_dir), "max_new_tokens": 3})
    assert capabilities(m) == frozenset({Capability.ANSWER})
    assert m.info.checkpoint_sha256
    img = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    vid = np.random.default_rng(1).integers(0, 256, (5, 12, 12, 3), dtype=np.uint8)
    reqs = [
        QARequest(id="a", question="how many cubes?", images=(img,), choices=("1", "2")),
        QARequest(id="b", question="will it fall?", video=vid),
        QARequest(id="c", question="how many cubes?", images=(img,), choices=("1", "2")),
    ]
    out = m.answer(reqs)
    assert all(isinstance(o.text, str) for o in out)
    assert out[0].text == out[2].text  # greedy decoding is deterministic


def test_bad_model_dirs(tmp_path):
    with pytest.raises(UserError, match="config.json"):
        create_model("hf", {"path": str(tmp_path)})
    with pytest.raises(ConfigError):
        create_model("hf", {"path": str(tmp_path), "dtype": "int3"})
