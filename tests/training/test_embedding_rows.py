"""Training only the used embedding rows gives the model a dense fit gives (training/embedding_rows.py)."""

from __future__ import annotations

import pytest
import torch

from training.embedding_rows import DecayUnusedRows, swap_in, swap_out
from training.models import load_classifier, load_tokenizer, resolve

TEXTS = ["the match ended with a late goal", "rain and wind all day", "fresh bread and soup",
         "the team scored twice", "snow is coming tonight", "a bowl of noodles"] * 3


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(resolve("tiny"))


def fit(tokenizer, tmp_path, *, used_rows: bool):
    """Six AdamW steps of the real Trainer on the tiny BERT (every dropout off, attention's too,
    so the two fits see the same numbers); returns the model and, for `used_rows`, what stood in for its embedding."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    model = load_classifier(resolve("tiny"), ["a", "b", "c"], seed=7)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    ids = tokenizer(TEXTS)["input_ids"]
    rows = [{"input_ids": row, "labels": i % 3} for i, row in enumerate(ids)]
    swapped = swap_in(model, ids) if used_rows else None
    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=6, learning_rate=0.05,
                             weight_decay=0.5, per_device_train_batch_size=6, use_cpu=True,
                             report_to="none", save_strategy="no", disable_tqdm=True, seed=3)
    trainer = Trainer(model=model, args=args, train_dataset=rows,
                      data_collator=DataCollatorWithPadding(tokenizer),
                      callbacks=[DecayUnusedRows(swapped)] if swapped else [])
    trainer.train()
    return model, swapped


def test_a_fit_on_used_rows_ends_with_the_dense_fits_weights(tokenizer, tmp_path):
    initial = load_classifier(resolve("tiny"), ["a", "b", "c"], seed=7).state_dict()
    dense, _ = fit(tokenizer, tmp_path / "dense", used_rows=False)
    model, swapped = fit(tokenizer, tmp_path / "rows", used_rows=True)
    used = swapped.used
    vocab = torch.arange(swapped.embedding.num_embeddings)
    dense_rows = dense.get_input_embeddings().weight.detach()
    # mid-fit (validation passes read this), the stand-in already gives the dense fit's values
    torch.testing.assert_close(swapped(vocab).detach(), dense_rows, rtol=0, atol=1e-6)
    swap_out(model, swapped)
    assert type(model.get_input_embeddings()) is torch.nn.Embedding
    merged = model.state_dict()
    assert merged.keys() == dense.state_dict().keys()
    for name, tensor in dense.state_dict().items():
        torch.testing.assert_close(merged[name], tensor, rtol=0, atol=1e-6, msg=name)
    # both halves of the embedding changed, so each half of the bookkeeping is checked
    start = initial["bert.embeddings.word_embeddings.weight"]
    unused = torch.ones(len(vocab), dtype=torch.bool)
    unused[used] = False
    assert (dense_rows[used] - start[used]).abs().max() > 1e-2
    assert (dense_rows[unused] - start[unused]).abs().max() > 1e-3  # weight decay alone
    assert model.get_input_embeddings().weight.requires_grad


def test_the_padding_row_is_never_trained(tokenizer):
    model = load_classifier(resolve("tiny"), ["a", "b"], seed=7)
    swapped = swap_in(model, [[101, tokenizer.pad_token_id, 2000, 2000]])
    assert swapped.used.tolist() == [101, 2000]
    assert not swapped.embedding.weight.requires_grad and swapped.rows.requires_grad


def test_only_a_plain_trainable_embedding_is_swapped(tokenizer):
    from peft import LoraConfig, TaskType, get_peft_model

    lora = get_peft_model(load_classifier(resolve("tiny"), ["a", "b"], seed=7),
                          LoraConfig(task_type=TaskType.SEQ_CLS, target_modules=["query", "value"]))
    assert swap_in(lora, [[101, 2000]]) is None  # LoRA freezes the embedding: nothing to train
    model = load_classifier(resolve("tiny"), ["a", "b"], seed=7)
    model.get_input_embeddings().max_norm = 1.0
    assert swap_in(model, [[101, 2000]]) is None


def test_the_decay_follows_adamw_only():
    model = load_classifier(resolve("tiny"), ["a", "b"], seed=7)
    swapped = swap_in(model, [[101, 2000]])
    with pytest.raises(TypeError, match="AdamW"):
        swapped.decay_unused(torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1))
    optimizer = torch.optim.AdamW([{"params": [swapped.rows], "lr": 0.1, "weight_decay": 0.5},
                                   {"params": [model.classifier.bias], "lr": 1.0, "weight_decay": 0.9}])
    swapped.decay_unused(optimizer)
    swapped.decay_unused(optimizer)
    assert swapped.decay.item() == pytest.approx(0.95 ** 2)  # its own group's lr and decay only
