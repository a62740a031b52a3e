"""The `frozen` method: train only the classification head.

The encoder runs ONCE over the training and validation texts; what it feeds the model's final
linear layer is cached, and that small layer is then trained for many epochs with a plain torch
loop, at almost no cost. The trained weights are written back into the model's own head, so the
saved model is an ordinary `*ForSequenceClassification` that `pipeline()` loads as is.

Why not mean-pooled features: the architectures' built-in heads read the [CLS] position (through
a pooler); a head trained on mean-pooled features could not be loaded by `pipeline()` without
custom code, and remote code is never trusted here. Caching the head's real input keeps training
and inference identical.
"""

from __future__ import annotations

import copy
import time

HEAD_EPOCHS_PER_EPOCH = 30
HEAD_PATIENCE = 25
HEAD_BATCH = 64


def final_linear(model, num_labels: int):
    """The last nn.Linear that outputs one score per label: the layer this method trains."""
    import torch

    found = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == num_labels:
            found = module
    if found is None:
        raise RuntimeError("This model has no linear classification layer to train.")
    return found


def head_features(model, head, batches, reporter, device) -> "torch.Tensor":
    """Run the frozen model over tokenised batches and keep the head's inputs."""
    import torch

    captured = []
    hook = head.register_forward_hook(lambda _m, inputs, _o: captured.append(inputs[0].detach()))
    model.eval()
    try:
        with torch.no_grad():
            for i, batch in enumerate(batches, 1):
                reporter.check()
                model(**{k: v.to(device) for k, v in batch.items() if k != "labels"})
                reporter.emit("features", step=i, total_steps=len(batches))
    finally:
        hook.remove()
    return torch.cat(captured).float().cpu()


def train_head(model, train_batches, val_batches, train_y, val_y, *, epochs: int, lr: float,
               batch_size: int, seed: int, reporter, device) -> dict:
    """Train the final linear layer on cached features; keep the weights with the best
    validation loss. Returns the loss history and timings."""
    import torch

    num_labels = len(model.config.id2label)
    head = final_linear(model, num_labels)
    started = time.perf_counter()
    train_x = head_features(model, head, train_batches, reporter, device)
    val_x = head_features(model, head, val_batches, reporter, device) if val_batches else None
    feature_seconds = time.perf_counter() - started
    train_y, val_y = torch.tensor(train_y), torch.tensor(val_y) if val_batches else None

    # Standardise features so one learning rate suits every encoder (a random encoder's outputs
    # are nearly constant); the scaling is folded back into the head's weights afterwards.
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    train_x = (train_x - mean) / std
    val_x = (val_x - mean) / std if val_x is not None else None
    torch.manual_seed(seed)
    trained = copy.deepcopy(head).float().cpu()
    batch_size = max(batch_size, HEAD_BATCH)
    optimizer = torch.optim.AdamW(trained.parameters(), lr=lr, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    total = epochs * HEAD_EPOCHS_PER_EPOCH
    best = (float("inf"), copy.deepcopy(trained.state_dict()), 0)
    train_points, val_points = [], []
    fit_started = time.perf_counter()
    epochs_run = 0
    for epoch in range(1, total + 1):
        reporter.check()
        order = torch.randperm(len(train_x))
        running = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn(trained(train_x[idx]), train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
        epochs_run = epoch
        train_loss = running / len(train_x)
        scale = epoch / HEAD_EPOCHS_PER_EPOCH  # plotted on the learner's epoch scale
        train_points.append((scale, train_loss))
        val_loss = train_loss
        if val_x is not None and len(val_x):
            with torch.no_grad():
                val_loss = loss_fn(trained(val_x), val_y).item()
            val_points.append((scale, val_loss))
        if val_loss < best[0] - 1e-4:
            best = (val_loss, copy.deepcopy(trained.state_dict()), epoch)
        reporter.emit("training", epoch=scale, total_epochs=epochs, step=epoch, total_steps=total,
                      loss=train_loss)
        if epoch - best[2] >= HEAD_PATIENCE:
            break
    trained.load_state_dict(best[1])
    weight = trained.weight / std  # W((x - mean) / std) + b == (W / std) x + (b - (W / std) mean)
    bias = trained.bias - weight @ mean
    with torch.no_grad():
        head.weight.copy_(weight.to(head.weight.dtype))
        head.bias.copy_(bias.to(head.bias.dtype))
    return {"train_points": train_points, "val_points": val_points,
            "feature_seconds": round(feature_seconds, 2),
            "train_seconds": round(time.perf_counter() - fit_started + feature_seconds, 2),
            "epochs_run": round(epochs_run / HEAD_EPOCHS_PER_EPOCH, 2),
            "best_epoch": round(best[2] / HEAD_EPOCHS_PER_EPOCH, 2)}
