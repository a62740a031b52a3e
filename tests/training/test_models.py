"""Loading classifiers (training/models.py)."""

from __future__ import annotations

import resource

import torch

from training.models import load_classifier, resolve


def page_faults_writing_every_weight(model) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(1.0)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_a_classifier_loaded_in_memory_writes_its_weights_without_copying_pages_of_the_file():
    """`full` writes every weight from its first step. Mapped from the file, MiniLM's weights take
    about 23,500 page faults at that first write, each a page copied from the file; loaded in
    memory, none."""
    model = load_classifier(resolve("minilm"), ["a", "b"], in_memory=True)
    assert page_faults_writing_every_weight(model) < 1_000
