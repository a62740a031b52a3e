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


def _state(step: int, of: int):
    from transformers import TrainerState

    return TrainerState(global_step=step, max_steps=of)


def test_frozen_parameters_are_not_copied_and_the_trained_ones_come_back():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    model[0].requires_grad_(False)
    frozen = model[0].weight.detach().clone()
    keeper = BestWeights("eval_macro_f1")
    keeper.on_evaluate(None, _state(2, 4), None, metrics={"eval_macro_f1": 0.8}, model=model)
    assert set(keeper.weights) == {"1.weight", "1.bias"}
    kept = model[1].weight.detach().clone()
    with torch.no_grad():
        model[1].weight.fill_(7.0)  # the next epoch trains on, and scores lower
    keeper.on_evaluate(None, _state(4, 4), None, metrics={"eval_macro_f1": 0.6}, model=model)
    keeper.on_train_end(None, _state(4, 4), None, model=model)
    assert torch.equal(model[1].weight, kept)
    assert torch.equal(model[0].weight, frozen)


def test_when_the_last_evaluation_is_the_best_nothing_is_copied_and_the_last_weights_stay():
    model = torch.nn.Linear(2, 1)
    keeper = BestWeights("eval_macro_f1")
    keeper.on_evaluate(None, _state(2, 4), None, metrics={"eval_macro_f1": 0.5}, model=model)
    assert keeper.weights is not None
    with torch.no_grad():
        model.weight.fill_(3.0)
    last = model.weight.detach().clone()
    keeper.on_evaluate(None, _state(4, 4), None, metrics={"eval_macro_f1": 0.9}, model=model)
    assert keeper.weights is None  # the fit is over: these weights are the ones it ends with
    keeper.on_train_end(None, _state(4, 4), None, model=model)
    assert torch.equal(model.weight, last)
