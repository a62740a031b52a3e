"""A download from Slack that stalls or breaks mid-stream leaves no partial file, and the request it
was for is refused with a reason: the bot fetches an upload before it creates a job, so no job is left
in `validating` (issue 13, item 8)."""

from __future__ import annotations

import json
import urllib.request

from bot.files import UploadError, download, file_info
from tests.helpers import ephemerals

LIN = "U0LIN"
CSV = b"text,label\n" + b"".join(f"example {i},{'ab'[i % 2]}\n".encode() for i in range(100))


class _Stalls:
    """A response whose first read returns some bytes and whose second times out."""

    def __init__(self):
        self.reads = 0

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False

    def read(self, _size):
        self.reads += 1
        if self.reads == 1:
            return CSV[:40]
        raise TimeoutError("The read operation timed out")


class _Opener:
    def open(self, _request, timeout=None):
        return _Stalls()


def test_a_read_timeout_leaves_no_partial_file(tutor, tmp_path, monkeypatch):
    file, _ = tutor.ws.upload_file(LIN, "data.csv", CSV)
    monkeypatch.setattr(urllib.request, "build_opener", lambda *_handlers: _Opener())
    dest = tmp_path / "uploads"
    try:
        download(tutor.services.client, file_info(tutor.services.client, file["id"], LIN), dest)
        raise AssertionError("the download should have failed")
    except UploadError as error:
        assert error.code == "download_failed" and "Try again" in error.message
    assert list(dest.iterdir()) == []


def test_a_request_whose_download_times_out_is_refused_with_a_reason(tutor, monkeypatch):
    file, _ = tutor.ws.upload_file(LIN, "data.csv", CSV)
    monkeypatch.setattr(urllib.request, "build_opener", lambda *_handlers: _Opener())
    tutor.ws.slash(LIN, "/finetune", f"upload={file['id']}")
    reply = tutor.ws.wait_for(lambda: [m for m in ephemerals(tutor.ws, user=LIN) if "download" in m.get("text", "")])
    assert "Try again" in reply[0]["text"]
    assert tutor.services.jobs.for_user("T0SANDBOX", LIN) == [], "no job was created for data it could not fetch"
    assert not any((tutor.services.settings.uploads_dir / LIN).glob("*")), "no partial upload left"
