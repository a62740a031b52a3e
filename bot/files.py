"""Downloading a learner's own upload from Slack: only the file's Slack URL, with the bot token,
streamed under a size cap, never a URL a user typed."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slackhosts import file_url_allowed

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DOWNLOAD_TIMEOUT_SECONDS = 30  # per connect and per read
ALLOWED_SUFFIXES = (".csv", ".tsv", ".jsonl", ".txt")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(Exception):
    """The upload cannot be used; the message says why and what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class _SlackFileRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to where the first URL could have gone (https on Slack's file host, or the
    configured API's origin): the request carries the bot token, so a downgrade or a new host is refused."""

    def __init__(self, api_url: str):
        super().__init__()
        self.api_url = api_url

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not file_url_allowed(newurl, self.api_url):
            raise UploadError("download_failed", "Slack redirected the download somewhere unexpected; not followed.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def file_info(client: WebClient, file_id: str, owner: str) -> dict:
    """The file's metadata, after checking that `owner` uploaded it."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        raise UploadError("file_not_found", f"I can't find file {file_id}. Upload it again in our DM.") from error
    if info.get("is_external") or info.get("mode") == "external":
        raise UploadError("external_file", "That file lives outside Slack (a link to another service), so I can't "
                                           "fetch it. Download it and upload the file itself in our DM.")
    if info.get("user") != owner:
        raise UploadError("not_your_file", "That file was uploaded by someone else: I only train on your own uploads.")
    name = info.get("name") or ""
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadError("unsupported_file",
                          "I can read CSV, TSV or JSONL files with a text column and a label column. "
                          "Export your data as .csv and upload that.")
    if int(info.get("size") or 0) > MAX_UPLOAD_BYTES:
        raise UploadError("file_too_large",
                          f"The file is {int(info['size']) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1_000_000} MB. "
                          "Use a sample of your rows.")
    return info


def download(client: WebClient, info: dict, dest_dir: Path, max_bytes: int = MAX_UPLOAD_BYTES) -> Path:
    """Stream an upload (`info` from `file_info`, its owner checked) to `dest_dir`, stopping at
    `max_bytes` (never reads it whole first)."""
    file_id = info.get("id") or "upload"
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise UploadError("download_failed", "Slack gave no download link for that file. Upload it again.")
    if not file_url_allowed(url, client.base_url):  # the bot token goes with the request: Slack's hosts only
        raise UploadError("download_failed", "That file's download link is not on Slack's file host, so I didn't "
                                             "fetch it. Upload the file itself in our DM.")
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = _SAFE_NAME.sub("_", info.get("name") or f"{file_id}.csv")[:100]
    target = dest_dir / f"{file_id}-{name}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    opener = urllib.request.build_opener(_SlackFileRedirects(client.base_url))
    total = 0
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, open(target, "wb") as out:
            while chunk := response.read(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise UploadError("file_too_large",
                                      f"The file is over the {max_bytes // 1_000_000} MB limit. Use a sample of your rows.")
                out.write(chunk)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        # URLError (refused, DNS), a read timeout or a reset mid-stream (OSError), a truncated response:
        # none leaves a partial file behind, and each is one clear error for the caller
        target.unlink(missing_ok=True)
        raise UploadError("download_failed", "I couldn't download the file from Slack. Try again in a minute.") from error
    except UploadError:
        target.unlink(missing_ok=True)
        raise
    return target
