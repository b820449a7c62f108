"""Loading models: typed --model-args, module:attr and file.py:attr, one-line contract errors."""

import pytest

from cosmos3_eval.api.model_args import args_schema, describe_args, docstring_args
from cosmos3_eval.api.registry import MODELS
from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.factory import create_model

MODEL_FILE = """
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import TextOutput


class Good:
    def __init__(self, letter: str = "A", repeat: int = 1):
        self.letter, self.repeat = letter, repeat
        self.info = ModelInfo(name="good", params={"letter": letter, "repeat": repeat})

    def answer(self, requests):
        return [TextOutput(self.letter * self.repeat) for _ in requests]


class NoInfo:
    def answer(self, requests):
        return []


class BadInfo:
    info = {"name": "x"}

    def answer(self, requests):
        return []


class NoCapability:
    def __init__(self):
        self.info = ModelInfo(name="none")


NOT_CALLABLE = 3
"""


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(MODEL_FILE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_module_attr_from_cwd_and_file_path_both_load(model_dir):
    m = create_model("my_models:Good", {"repeat": "3"})
    assert m.repeat == 3  # the string from the command line arrives as the declared int
    m = create_model(f"{model_dir}/my_models.py:Good", {"letter": 7})
    assert m.letter == "7"


@pytest.mark.parametrize(
    "attr, message",
    [
        ("NoInfo", "has no .info"),
        ("BadInfo", "not a cosmos3_eval.api.model.ModelInfo"),
        ("NoCapability", "has no capability method"),
        ("NOT_CALLABLE", "not a class or factory"),
        ("Missing", "has no attribute"),
    ],
)
def test_contract_breaches_are_one_line_exit_2(model_dir, toy_task, capsys, attr, message):
    code = main(["run", "--model", f"my_models.py:{attr}", "--tasks", toy_task, "--out", "r"])
    err = capsys.readouterr().err
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_typed_value_is_one_line(model_dir):
    with pytest.raises(Exception, match="bad value for 'repeat'"):
        create_model("my_models:Good", {"repeat": "many"})
    with pytest.raises(Exception, match="did you mean 'repeat'"):
        create_model("my_models:Good", {"repaet": 2})


def test_every_registered_model_has_an_args_schema_matching_its_signature():
    import inspect

    for name in MODELS.names():
        factory = MODELS.load(name)
        fields = {a.name: a for a in describe_args(args_schema(factory))}
        fn = factory.__init__ if inspect.isclass(factory) else factory
        params = {
            k: p
            for k, p in inspect.signature(fn).parameters.items()
            if k != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        assert set(fields) == set(params), name
        for k, p in params.items():
            if p.default is not p.empty:
                assert fields[k].default == p.default, (name, k)
            assert fields[k].help, f"{name}.{k} has no help text in its docstring"


def test_docstring_args_parses_continuation_lines():
    doc = (
        "X.\n\nArgs:\n    a: First\n        line two.\n    b (int): Second.\n\nRaises:\n    E: no."
    )
    assert docstring_args(doc) == {"a": "First line two.", "b": "Second."}
