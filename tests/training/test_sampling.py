"""WindowedLengthSampler: every example once per epoch, aligned full batches, less padding than random."""

from __future__ import annotations

import random

from training.sampling import WindowedLengthSampler


def padded(lengths, indices, batch_size):
    return sum(max(lengths[i] for i in indices[s:s + batch_size]) * len(indices[s:s + batch_size])
               for s in range(0, len(indices), batch_size))


def test_each_example_once_and_batches_aligned():
    lengths = [random.Random(i).randint(3, 120) for i in range(203)]
    sampler = WindowedLengthSampler(lengths, batch_size=16)
    first = list(sampler)
    assert sorted(first) == list(range(203))
    batches = sampler.batches()
    assert all(len(b) == 16 for b in batches[:-1]) and len(batches[-1]) == 203 % 16
    assert list(sampler) != first, "a new order each epoch"


def test_pads_less_than_random_but_keeps_batches_mixed():
    rng = random.Random(0)
    lengths = [rng.randint(5, 100) for _ in range(640)]
    windowed = list(WindowedLengthSampler(lengths, batch_size=16))
    shuffled = list(range(640))
    rng.shuffle(shuffled)
    assert padded(lengths, windowed, 16) < 0.8 * padded(lengths, shuffled, 16)
    # batches come from random windows, not one epoch-wide sort: long and short batches interleave
    maxima = [max(lengths[i] for i in windowed[s:s + 16]) for s in range(0, 640, 16)]
    assert maxima != sorted(maxima) and maxima != sorted(maxima, reverse=True)
