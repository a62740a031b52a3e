"""The frozen method's head loop on made-up embeddings (no encoder, no data files): fast."""

from __future__ import annotations

import torch

from training.frozen import HEAD_EPOCHS_PER_EPOCH, HEAD_PATIENCE, train_head


class _Reporter:
    def check(self):
        pass

    def emit(self, *args, **kwargs):
        pass


class _Embedded(torch.nn.Module):
    """Stands in for training.pooled's model: `embed` returns the batch's ready-made vectors."""

    def __init__(self, width: int, labels: int):
        super().__init__()
        self.classifier = torch.nn.Linear(width, labels)

    def embed(self, x):
        return x


def _separable(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 8, generator=g) * 0.1
    x[:, 0] += torch.where(y == 1, 1.0, -1.0)
    return [{"x": x}], y.tolist()


def test_head_keeps_learning_while_validation_loss_falls_after_an_early_f1_peak(monkeypatch):
    """On a small validation set macro-F1 moves in steps: here it peaks at the first epoch and
    then sits lower while the validation loss keeps falling. The loop must not stop HEAD_PATIENCE
    epochs after the peak; it keeps the peak's weights only if nothing better comes."""
    import training.frozen as frozen

    scores = iter([0.9] + [0.8] * 10_000)
    monkeypatch.setattr(frozen, "_macro_f1", lambda logits, y: next(scores))
    torch.manual_seed(0)
    train_batches, train_y = _separable(40, 0)
    val_batches, val_y = _separable(20, 1)
    epochs = 2
    history = train_head(_Embedded(8, 2), train_batches, val_batches, train_y, val_y, epochs=epochs,
                         lr=1e-2, batch_size=64, seed=0, reporter=_Reporter(), device="cpu")
    losses = [loss for _, loss in history["val_points"]]
    assert all(b < a for a, b in zip(losses, losses[1:]))  # the premise: loss falls throughout
    assert epochs * HEAD_EPOCHS_PER_EPOCH > HEAD_PATIENCE + 5
    assert history["epochs_run"] == epochs
    assert history["best_macro_f1"] == 0.9 and history["best_epoch"] == round(1 / HEAD_EPOCHS_PER_EPOCH, 2)
