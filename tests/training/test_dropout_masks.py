"""Dropout with numpy's masks (training/dropout_masks.py) is torch's dropout: the rate, the scale, the
gradient, nothing dropped in evaluation, and masks decided by the seed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.dropout_masks import MaskSource


def test_keeps_one_minus_p_of_the_elements_scaled_by_its_inverse():
    out = MaskSource(1).dropout(nn.Dropout(0.1), torch.ones(1_000_000))
    kept = out != 0
    # binomial standard deviation at n = 1e6, p = 0.1: 0.0003; a mask inverted keeps 0.1
    assert abs(kept.float().mean().item() - 0.9) < 0.002
    torch.testing.assert_close(out[kept], torch.full((int(kept.sum()),), 1 / 0.9))


def test_the_gradient_goes_through_the_same_mask():
    x = torch.randn(64, 32, requires_grad=True)
    out = MaskSource(2).dropout(nn.Dropout(0.3), x)
    out.sum().backward()
    kept = out.detach() != 0
    assert 0 < kept.sum() < kept.numel()
    torch.testing.assert_close(x.grad, kept.float() / 0.7)


def test_nothing_is_dropped_in_evaluation_or_at_rate_zero():
    x = torch.randn(8, 8)
    masks = MaskSource(3)
    assert masks.dropout(nn.Dropout(0.5).eval(), x) is x
    assert masks.dropout(nn.Dropout(0.0), x) is x


def test_rate_one_drops_everything():
    assert not MaskSource(4).dropout(nn.Dropout(1.0), torch.randn(8, 8)).any()


@pytest.mark.parametrize("reseed", [True, False])
def test_the_masks_follow_torchs_seed(reseed):
    torch.manual_seed(5)
    first = MaskSource().dropout(nn.Dropout(0.5), torch.ones(256))
    if reseed:
        torch.manual_seed(5)
    second = MaskSource().dropout(nn.Dropout(0.5), torch.ones(256))
    assert torch.equal(first, second) == reseed


def test_numpy_draws_only_while_training_at_a_rate_between_zero_and_one():
    x = torch.ones(4)
    assert MaskSource.draws(nn.Dropout(0.1), x)
    assert not MaskSource.draws(nn.Dropout(0.1).eval(), x)
    assert not MaskSource.draws(nn.Dropout(0.0), x)
    assert not MaskSource.draws(nn.Dropout(1.0), x)  # torch's dropout zeroes it (no 1 / (1 - p))
