"""PNG plots for the results message: loss curves and the confusion matrix (matplotlib, Agg
backend, so no display is needed)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_losses(train_points: list[tuple[float, float]], val_points: list[tuple[float, float]],
                path: str | Path) -> str:
    """Training and validation loss against epoch."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    if train_points:
        ax.plot(*zip(*train_points), label="training", color="#1264a3")
    if val_points:
        ax.plot(*zip(*val_points), "o-", label="validation", color="#e01e5a")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def plot_validation_curves(series: dict[str, list[tuple[float, float]]], path: str | Path) -> str:
    """Validation loss against epoch, one line per run (`series`: legend name → points)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    for name, points in series.items():
        if points:
            ax.plot(*zip(*points), "o-", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    ax.set_title("Validation loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def plot_confusion(labels: list[str], matrix: list[list[int]], path: str | Path) -> str:
    """Rows are true classes, columns predictions; counts are written in when they fit."""
    plt = _pyplot()
    size = min(12, 3 + 0.45 * len(labels))
    fig, ax = plt.subplots(figsize=(size, size * 0.85), dpi=110)
    image = ax.imshow(matrix, cmap="Blues")
    short = [label if len(label) <= 18 else label[:17] + "…" for label in labels]
    ax.set_xticks(range(len(labels)), short, rotation=45, ha="right",
                  fontsize=8 if len(labels) > 10 else 10)
    ax.set_yticks(range(len(labels)), short, fontsize=8 if len(labels) > 10 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix (test set)")
    if len(labels) <= 20:
        peak = max((max(row) for row in matrix), default=0) or 1
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                        color="white" if value > peak / 2 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
