"""Files: only the Slack URL of the learner's own upload is fetched (with the bot token), the size cap
holds while streaming (nothing past it stays on disk), archives and binary files are refused."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from slack_sdk import WebClient

from bot import files
from bot.files import UploadError, download
from sandbox.driver import Workspace
from tests.reliability.conftest import ADA, LIN, SECRET, TOKEN
from training.checks import check_file

CSV = b"text,label\n" + b"".join(f"example number {i},{'pos' if i % 2 else 'neg'}\n".encode() for i in range(400))


@pytest.fixture
def ws():
    workspace = Workspace(signing_secret=SECRET, bot_token=TOKEN).start()
    workspace.bot_url = "http://127.0.0.1:9/slack/events"  # no bot: upload events go nowhere, only the test fetches
    yield workspace
    workspace.stop()


def upload(ws: Workspace, user: str, name: str, data: bytes) -> str:
    file, _deliveries = ws.upload_file(user, name, data)
    return file["id"]


def downloads(ws: Workspace) -> list[dict]:
    return ws.journal(kind="download")


def test_only_the_learners_own_upload_is_fetched(ws, tmp_path):
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    mine, theirs = upload(ws, LIN, "mine.csv", CSV), upload(ws, ADA, "theirs.csv", CSV)
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, theirs, LIN), tmp_path / "lin")
    assert refused.value.code == "not_your_file"
    assert downloads(ws) == []  # refused from the metadata: Ada's file was never fetched
    path = download(client, files.file_info(client, mine, LIN), tmp_path / "lin")
    assert path.read_bytes() == CSV
    fetched = downloads(ws)
    assert [(d["file_id"], d["authorised"]) for d in fetched] == [(mine, True)]


def test_size_cap_holds_while_streaming(ws, tmp_path, monkeypatch):
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    big = CSV * 40  # about 1 MB
    file_id = upload(ws, LIN, "big.csv", big)
    with pytest.raises(UploadError) as refused:  # the metadata says too big: refused before any byte
        monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 100_000)
        files.file_info(client, file_id, LIN)
    assert refused.value.code == "file_too_large" and downloads(ws) == []
    monkeypatch.undo()
    written: list[int] = []
    real_open = open

    class CountingFile(io.RawIOBase):
        """Counts what `download` writes, so the test sees bytes past the cap never reach the disk."""

        def __init__(self, path, mode):
            self._file = real_open(path, mode)

        def write(self, data):
            written.append(len(data))
            return self._file.write(data)

        def close(self):
            self._file.close()
            super().close()

    monkeypatch.setattr("builtins.open", lambda path, mode="r", *a, **k: CountingFile(path, mode)
                        if mode == "wb" else real_open(path, mode, *a, **k))
    # Slack's metadata can understate the size: the stream itself is capped
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, file_id, LIN), tmp_path / "lin", max_bytes=100_000)
    monkeypatch.undo()
    assert refused.value.code == "file_too_large"
    assert sum(written) <= 100_000
    assert list((tmp_path / "lin").iterdir()) == []  # the partial file is removed


def archive_bytes() -> dict[str, bytes]:
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("data.csv", CSV)
    return {"zip": zipped.getvalue(), "gzip": gzip.compress(CSV),
            "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}


@pytest.mark.parametrize("kind", ["zip", "gzip", "png"])
def test_archives_and_binary_files_are_refused(ws, tmp_path, kind):
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    data = archive_bytes()[kind]
    by_name = upload(ws, LIN, f"data.{ {'zip': 'zip', 'gzip': 'csv.gz', 'png': 'png'}[kind]}", data)
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, by_name, LIN), tmp_path / "named")
    assert refused.value.code == "unsupported_file"
    disguised = upload(ws, LIN, "data.csv", data)  # a binary renamed .csv gets past the name check...
    path = download(client, files.file_info(client, disguised, LIN), tmp_path / "disguised")
    report = check_file(path).report.to_dict()  # ...and is refused by the data check
    assert not report["ok"]
    assert "binary_file" in {p["code"] for p in report["problems"]}, report["problems"]


@pytest.fixture
def listener():
    from tests.listener import Listener

    running = Listener()
    yield running
    running.close()


def set_file_fields(ws: Workspace, file_id: str, **fields) -> None:
    """What `files.info` will say about the file: a Slack answer the bot must not take on trust."""
    with ws.state.lock:
        ws.state.files[file_id].update(fields)


def test_the_token_never_goes_to_a_download_url_off_slacks_file_host(ws, tmp_path, listener):
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    file_id = upload(ws, LIN, "mine.csv", CSV)
    set_file_fields(ws, file_id, url_private_download=f"{listener.url}/files/{file_id}/mine.csv",
                    url_private=f"{listener.url}/files/{file_id}/mine.csv")
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, file_id, LIN), tmp_path / "lin")
    assert refused.value.code == "download_failed"
    assert listener.received == []


def test_external_files_are_refused_before_any_fetch(ws, tmp_path, listener):
    """A file shared from another service (Drive, Dropbox…): its URL is not Slack's, nothing is fetched."""
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    file_id = upload(ws, LIN, "linked.csv", CSV)
    set_file_fields(ws, file_id, is_external=True, mode="external", external_type="gdrive",
                    url_private=f"{listener.url}/doc", url_private_download=f"{listener.url}/doc")
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, file_id, LIN), tmp_path / "lin")
    assert refused.value.code == "external_file" and "upload the file itself" in refused.value.message
    assert listener.received == [] and downloads(ws) == []


def test_an_https_to_http_redirect_on_slacks_file_host_is_not_followed(ws, tmp_path, monkeypatch):
    """files.slack.com answers 302 to plain http on the same host: following it would send the token in clear.
    Both hosts are simulated by one urllib handler that records what it was asked for."""
    import urllib.request
    from email.message import Message
    from urllib.response import addinfourl

    asked: list[tuple[str, str | None]] = []

    class FakeSlackFiles(urllib.request.BaseHandler):
        handler_order = 100  # before urllib's own HTTP(S) handlers

        def https_open(self, req):
            asked.append((req.full_url, req.get_header("Authorization")))
            headers = Message()
            headers["Location"] = req.full_url.replace("https://", "http://", 1)
            response = addinfourl(io.BytesIO(b""), headers, req.full_url, 302)
            response.msg = "Found"
            return response

        def http_open(self, req):
            asked.append((req.full_url, req.get_header("Authorization")))
            headers = Message()
            headers["Content-Type"] = "text/csv"
            response = addinfourl(io.BytesIO(CSV), headers, req.full_url, 200)
            response.msg = "OK"
            return response

    real_build_opener = urllib.request.build_opener
    monkeypatch.setattr(urllib.request, "_opener", real_build_opener())  # urlopen's own (the Web API's) stays plain
    monkeypatch.setattr(urllib.request, "build_opener", lambda *handlers: real_build_opener(*handlers, FakeSlackFiles))
    client = WebClient(token=TOKEN, base_url=ws.api_url)
    file_id = upload(ws, LIN, "mine.csv", CSV)
    slack_url = f"https://files.slack.com/files-pri/T0SANDBOX-{file_id}/download/mine.csv"
    set_file_fields(ws, file_id, url_private_download=slack_url, url_private=slack_url)
    with pytest.raises(UploadError) as refused:
        download(client, files.file_info(client, file_id, LIN), tmp_path / "lin")
    assert refused.value.code == "download_failed"
    assert [url for url, _token in asked] == [slack_url]  # the https request only; the http one never made
