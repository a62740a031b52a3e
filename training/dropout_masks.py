"""Dropout whose masks come from numpy's PCG64 generator: the same function as torch's dropout, for
a third of its cost on the CPU.

torch draws a CPU dropout mask with `bernoulli_`, which costs about 8.5 ns an element on two cores
(issue 14); numpy's PCG64 draws float32 uniforms at about 2.6 ns. A packed MiniLM step (training/
packing.py) drops out about 1.8 M elements (13 hidden-state dropouts and six layers of attention
probabilities), so the masks alone took 8% of a Banking77 step's operator time. Everything else is
torch's dropout as it is: each element kept with probability 1 - p and scaled by 1 / (1 - p), the
mask saved for the backward pass (autograd multiplies by the same tensor), and nothing dropped in
evaluation. On other devices torch's own dropout runs, since a mask drawn on the host would have to
be copied over.

The generator is seeded from torch's, so a run's `seed` still decides every mask.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class MaskSource:
    """Drops out elements with masks from one numpy generator (one per fit)."""

    def __init__(self, seed: int | None = None):
        if seed is None:  # from torch's generator, which the run's seed has set
            seed = int(torch.randint(0, 2**62, ()))
        self._generator = np.random.default_rng(seed)

    @staticmethod
    def draws(module: nn.Dropout, x: torch.Tensor) -> bool:
        """Whether `dropout(module, x)` draws a numpy mask: on while training, a rate in (0, 1),
        on the CPU. Otherwise it is torch's own dropout (or nothing at all)."""
        return module.training and 0 < module.p < 1 and x.device.type == "cpu"

    def dropout(self, module: nn.Dropout, x: torch.Tensor) -> torch.Tensor:
        """What the model's dropout `module` gives for `x` (its rate, on while training), with a
        mask drawn by numpy."""
        if not self.draws(module, x):
            return nn.functional.dropout(x, module.p, module.training)
        p = module.p
        # float32 uniforms are multiples of 2^-24: an element is kept with probability 1 - p to 6e-8
        keep = self._generator.random(x.numel(), dtype=np.float32) >= p
        scale = torch.from_numpy(keep).view(x.shape).to(x.dtype).mul_(1.0 / (1.0 - p))
        return x * scale
