"""The best epoch's weights are the ones a run ends with, kept in memory instead of checkpoints."""

from __future__ import annotations

import torch

from training.best_weights import BestWeights


def test_the_first_best_evaluation_wins_and_its_weights_come_back_at_the_end():
    model = torch.nn.Linear(2, 1)
    keeper = BestWeights("eval_macro_f1")
    kept = None
    for epoch, f1 in enumerate([0.5, 0.8, 0.8, 0.6]):
        with torch.no_grad():
            model.weight.fill_(float(epoch))  # each epoch's weights are different
        keeper.on_evaluate(None, None, None, metrics={"eval_macro_f1": f1}, model=model)
        if epoch == 1:
            kept = model.weight.detach().clone()
    keeper.on_train_end(None, None, None, model=model)
    assert torch.equal(model.weight, kept)  # epoch 1's, not the tie at epoch 2 nor the last
    assert keeper.weights is None


def test_without_an_evaluation_the_last_weights_stay():
    model = torch.nn.Linear(2, 1)
    before = model.weight.detach().clone()
    keeper = BestWeights("eval_macro_f1")
    keeper.on_evaluate(None, None, None, metrics={"eval_loss": 0.3}, model=model)
    keeper.on_train_end(None, None, None, model=model)
    assert torch.equal(model.weight, before)
