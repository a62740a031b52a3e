"""Where a fine-tune's data is on disk: the one home of the sample / upload / hub switch.

A sample is a file of the course; an upload is fetched from Slack once (after checking its owner,
name and size) into the data directory that bot and workers share; a hub data set is loaded by the
trainer itself. The result is written into the request (`local_path`), so the worker that runs the
job reads the file and makes no Slack call to find it.
"""

from __future__ import annotations

from pathlib import Path

from slack_sdk import WebClient

from bot.files import download, file_info
from bot.finetune_request import FinetuneRequest


class DataResolver:
    def __init__(self, samples: dict[str, Path], uploads_dir: Path):
        self.samples, self.uploads_dir = samples, uploads_dir

    def resolve(self, client: WebClient, request: FinetuneRequest, user_id: str) -> FinetuneRequest:
        """The request with `local_path` set (unchanged when already resolved, or a hub data set).
        Raises `bot.files.UploadError` with a message for the learner when an upload cannot be used."""
        if request.local_path or request.data_kind == "hub":
            return request
        if request.data_kind == "sample":
            return request.resolved(self.samples[request.data])
        info = file_info(client, request.data, user_id)
        return request.resolved(download(client, info, self.uploads_dir / user_id))
