"""Real training runs with the tiny random BERT on a toy topic task (chance is 1/3)."""

from __future__ import annotations

import json

import pytest

from training.config import TrainConfig
from training.errors import Cancelled, DataCheckFailed
from training.predict import predict
from training.trainer import pick_max_length, train
from training_toydata import toy_rows, write_csv

pytestmark = pytest.mark.slow
SETTINGS = {"full": dict(lr=5e-3, epochs=10), "frozen": dict(lr=1e-2, epochs=5),
            "lora": dict(lr=1e-2, epochs=10, early_stopping_patience=20)}


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("data") / "toy.csv", toy_rows(50))


def test_the_fit_runs_with_the_objects_held_before_it_frozen(toy_file, tmp_path):
    """accelerate's full `gc.collect()` as the Trainer starts would walk every object the worker
    holds; the fit runs inside training/heap.py's freeze (tests/training/test_heap.py tests it)."""
    import gc

    before = gc.get_freeze_count()
    during = []
    config = TrainConfig(out_dir=str(tmp_path / "full"), data_path=str(toy_file), model="tiny",
                         method="full", batch_size=8, epochs=1)
    train(config, on_progress=lambda p: p.phase == "training" and during.append(gc.get_freeze_count()))
    assert during and min(during) > before + 10_000  # the imported modules and the model, at least
    assert gc.get_freeze_count() == before


@pytest.mark.parametrize("method, in_memory", [("full", True), ("lora", False)])
def test_full_loads_its_weights_in_memory(method, in_memory, toy_file, tmp_path, monkeypatch):
    """`full` writes every weight, so it reads them into memory as it loads (training/models.py says
    why); LoRA writes none of the base model's, so they stay mapped from the file."""
    import training.models

    seen = []
    load = training.models.load_classifier

    def spy(*args, **kwargs):
        seen.append(kwargs.get("in_memory", False))
        return load(*args, **kwargs)

    monkeypatch.setattr(training.models, "load_classifier", spy)
    train(TrainConfig(out_dir=str(tmp_path / method), data_path=str(toy_file), model="tiny",
                      method=method, batch_size=8, epochs=1))
    assert seen == [in_memory]


@pytest.mark.parametrize("method", ["full", "frozen", "lora"])
def test_method_beats_chance_and_saves_a_pipeline_model(method, toy_file, tmp_path):
    seen = []
    config = TrainConfig(out_dir=str(tmp_path / method), data_path=str(toy_file), model="tiny",
                         method=method, batch_size=8, **SETTINGS[method])
    result = train(config, on_progress=seen.append)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["metrics"]["accuracy"] > 0.55, data["metrics"]
    assert data["baselines"]["majority"]["accuracy"] == pytest.approx(1 / 3, abs=0.01)
    assert data["baselines"]["tfidf_logreg"]["accuracy"] > 0.8
    assert {c["label"] for c in data["per_class"]} == {"sports", "weather", "food"}
    assert sum(map(sum, data["confusion"]["matrix"])) == data["metrics"]["test_examples"] == 30
    assert data["timings"]["train_examples_per_second"] > 0
    assert data["data_report"]["ok"] and data["splits"]["train"] > 90
    assert {p.phase for p in seen} >= {"loading", "training", "evaluating", "done"}
    training_steps = [p for p in seen if p.phase == "training"]
    assert training_steps[-1].step == training_steps[-1].total_steps or \
        data["training"]["epochs_run"] < config.epochs  # early stopping may end it sooner
    for png in data["paths"]["plots"].values():
        assert open(png, "rb").read(4) == b"\x89PNG"

    from transformers import pipeline

    model_dir = data["paths"]["model_dir"]
    card = open(f"{model_dir}/README.md").read()
    assert "majority class" in card and "Intended use" in card
    if method != "frozen":  # frozen saves its own class, tested below
        from transformers import AutoModelForSequenceClassification

        _, loading = AutoModelForSequenceClassification.from_pretrained(model_dir,
                                                                        output_loading_info=True)
        assert not loading["missing_keys"] and not loading["unexpected_keys"], loading
    classify = pipeline("text-classification", model=model_dir)
    assert classify("goal match team score")[0]["label"] in {"sports", "weather", "food"}
    answer = predict(model_dir, "rain storm snow cloud wind")
    assert answer["label"] == answer["scores"][0]["label"]
    assert len(answer["scores"]) == 3 and 0 < answer["score"] <= 1
    assert predict(model_dir, "x") is not None  # served from the per-process cache


def test_should_stop_cancels_without_a_result(toy_file, tmp_path):
    steps = []

    def stop_after_three():
        return len(steps) >= 3

    config = TrainConfig(out_dir=str(tmp_path / "c"), data_path=str(toy_file), model="tiny",
                         epochs=5, batch_size=8)
    with pytest.raises(Cancelled):
        train(config, on_progress=lambda p: p.phase == "training" and steps.append(p),
              should_stop=stop_after_three)
    assert 3 <= len(steps) < 10
    assert not (tmp_path / "c" / "model").exists()


def test_bad_data_stops_before_training(tmp_path):
    rows = [(f"a text {i}", "big") for i in range(30)] + [("b text", "tiny")] * 3
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataCheckFailed) as err:
        train(TrainConfig(out_dir=str(tmp_path / "o"), data_path=str(path), model="tiny"))
    assert err.value.report["ok"] is False and "at least 10" in err.value.message


def test_separate_test_file_and_per_class(tmp_path):
    rows = toy_rows(40)
    train_file = write_csv(tmp_path / "train.csv", rows[:30] + rows[40:70] + rows[80:110])
    test_file = write_csv(tmp_path / "test.csv", rows[30:40] + rows[70:80] + rows[110:120])
    config = TrainConfig(out_dir=str(tmp_path / "o"), data_path=str(train_file),
                         test_path=str(test_file), model="tiny", method="frozen", epochs=2,
                         per_class=12, lr=1e-2)
    result = train(config)
    assert result.splits["test"] == 30
    assert result.splits["train"] + result.splits["validation"] == 36


def test_max_length_is_the_95th_percentile_capped():
    assert pick_max_length(list(range(1, 101))) == 95
    assert pick_max_length([1000] * 10) == 256
    assert pick_max_length([3, 4]) == 16


def test_frozen_reads_mean_pooled_embeddings_and_loads_with_one_call(toy_file, tmp_path):
    """The frozen head reads the attention-masked mean of the token vectors (normalised for
    sentence-transformers models), not [CLS]: padding a text in a batch changes nothing."""
    import torch
    from transformers import AutoTokenizer

    from training.pooled import PooledForSequenceClassification, load, mean_pool

    config = TrainConfig(out_dir=str(tmp_path / "f"), data_path=str(toy_file), model="tiny",
                         method="frozen", batch_size=8, **SETTINGS["frozen"])
    model_dir = train(config).paths["model_dir"]
    model = PooledForSequenceClassification.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    texts = ["goal", "rain storm snow cloud wind and a very long tail of words to pad the other"]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    alone = tokenizer(texts[:1], return_tensors="pt")
    with torch.no_grad():
        hidden = model.embedder(**batch).last_hidden_state
        expected = mean_pool(hidden, batch["attention_mask"])
        assert torch.allclose(model.embed(**batch), expected / expected.norm(dim=-1, keepdim=True),
                              atol=1e-5) or not model.config.normalize
        assert not torch.allclose(model.embed(**batch)[0], hidden[0, 0], atol=1e-3)
        assert torch.allclose(model(**batch).logits[0], model(**alone).logits[0], atol=1e-5)
    assert load(model_dir)("goal match team score")[0]["label"] in {"sports", "weather", "food"}
    assert "from training.pooled import load" in open(f"{model_dir}/README.md").read()


def test_kept_checkpoint_is_the_best_validation_macro_f1_not_the_lowest_loss():
    from types import SimpleNamespace

    from training.trainer import _history

    log = [{"epoch": 1.0, "eval_loss": 0.50, "eval_macro_f1": 0.70},
           {"epoch": 2.0, "eval_loss": 0.40, "eval_macro_f1": 0.75},
           {"epoch": 3.0, "eval_loss": 0.45, "eval_macro_f1": 0.82},
           {"epoch": 4.0, "eval_loss": 0.60, "eval_macro_f1": 0.82}]
    history = _history(log, SimpleNamespace(epoch=4.0))
    assert history["best_epoch"] == 3.0 and history["best_macro_f1"] == 0.82


def test_trainer_keeps_checkpoints_by_macro_f1(toy_file, tmp_path):
    config = TrainConfig(out_dir=str(tmp_path / "m"), data_path=str(toy_file), model="tiny",
                         method="full", batch_size=8, lr=5e-3, epochs=2)
    result = train(config)
    assert result.training["selected_by"] == "validation macro-F1"
    assert result.training["best_validation_macro_f1"] is not None
    assert "best validation macro-F1" in open(f"{result.paths['model_dir']}/README.md").read()


def test_lora_runs_enough_steps_to_learn_on_small_data():
    from training.config import LORA_MIN_STEPS, effective_epochs

    assert effective_epochs("lora", 2, 560, 16) == 6  # 35 steps an epoch: 6 epochs, 210 steps
    assert effective_epochs("lora", 2, 560, 16) * 35 >= LORA_MIN_STEPS
    assert effective_epochs("lora", 3, 100_000, 16) == 3
    assert effective_epochs("lora", 1, 10, 16) == 20  # capped at the epoch range
    assert effective_epochs("full", 2, 560, 16) == 2
    assert effective_epochs("frozen", 2, 560, 16) == 2


def test_lora_trains_the_head_and_pooler_whole(toy_file, tmp_path):
    """modules_to_save: the head and the pooler that feeds it learn, not only the adapters."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from training.models import load_classifier, resolve

    config = TrainConfig(out_dir=str(tmp_path / "l"), data_path=str(toy_file), model="tiny",
                         method="lora", batch_size=8, lr=1e-2, epochs=1)
    result = train(config)
    assert result.training["epochs_planned"] > 1  # stretched to LORA_MIN_STEPS
    saved = AutoModelForSequenceClassification.from_pretrained(result.paths["model_dir"])
    fresh = load_classifier(resolve("tiny"), result.training["labels"], config.seed)
    assert not torch.allclose(saved.bert.pooler.dense.weight, fresh.bert.pooler.dense.weight)
    assert not torch.allclose(saved.classifier.weight, fresh.classifier.weight)


def test_full_trains_the_new_head_at_the_head_rate(toy_file, tmp_path):
    """training/head_lr.py: the rate comes from the optimizer that ran, so this fails if the Trainer
    built its own (one rate for all) instead of keeping ours."""
    from training.config import DEFAULT_LR, HEAD_LR

    config = TrainConfig(out_dir=str(tmp_path / "f"), data_path=str(toy_file), model="tiny",
                         method="full", batch_size=8, epochs=1)
    result = train(config)
    assert result.training["head_learning_rate"] == HEAD_LR > DEFAULT_LR["full"]
    assert f"learning rate default (the new head {HEAD_LR:g})" in \
        open(f"{result.paths['model_dir']}/README.md").read()
    lora = train(TrainConfig(out_dir=str(tmp_path / "l"), data_path=str(toy_file), model="tiny",
                             method="lora", batch_size=8, lr=1e-2, epochs=1))
    assert lora.training["head_learning_rate"] == 1e-2  # modules_to_save: the run's own rate
    assert "the new head" not in open(f"{lora.paths['model_dir']}/README.md").read()
