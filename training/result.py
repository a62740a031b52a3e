"""What every fine-tune returns, whatever its task: the shared half of `TrainResult` (classifier) and
`ChatResult` (chat), so the worker, the CLI and the model card read these fields from one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(kw_only=True)
class RunResult:
    timings: dict  # seconds by phase, examples or tokens per second
    paths: dict  # out_dir, model_dir, plots
    data_report: dict  # the data check's findings
    config: dict  # the TrainConfig the run used
    splits: dict  # rows in train / validation / test
    hardware: dict  # device, threads, bf16
    training: dict = field(default_factory=dict)  # curves, epochs run, the kept epoch

    def to_dict(self) -> dict:
        return asdict(self)
