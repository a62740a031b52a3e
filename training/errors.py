"""Errors the learner sees. Each carries a stable `code` (for the job table and tests) and a
message written for a learner: what is wrong and what to type instead. Imports nothing heavy."""

from __future__ import annotations


class TrainingError(Exception):
    """Base for every error this package raises on purpose (never a bare traceback for users)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class RequestError(TrainingError):
    """A `/finetune` argument string (or a CLI option) that cannot be used as given."""


class DataError(TrainingError):
    """A data file that cannot be read as labelled text (binary, empty, wrong columns...)."""


class Cancelled(TrainingError):
    """The run was stopped because `should_stop()` returned True; there is no result."""

    def __init__(self, message: str = "The run was cancelled before it finished."):
        super().__init__("cancelled", message)


class DataCheckFailed(DataError):
    """The data report found errors, so training did not start. `report` is `DataReport.to_dict()`."""

    def __init__(self, report: dict):
        problems = [p for p in report.get("problems", []) if p.get("level") == "error"]
        lines = "; ".join(p["message"] for p in problems[:3]) or "The data has problems."
        super().__init__("data_check_failed", f"The data is not ready for training: {lines}")
        self.report = report


class OverBudget(TrainingError):
    """A run larger (rows x epochs) or longer (wall clock) than the operator allows; says what to lower."""
