"""Reading request bodies the way Slack's API accepts them: query, form, JSON or multipart."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl


def parse_args(query: str, body: bytes, content_type: str) -> dict:
    """Merged arguments of a Web API call (body wins over the query string)."""
    args: dict = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return args
    if kind == "application/json":
        parsed = json.loads(body.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("a JSON body must be an object")
        args.update(parsed)
    elif kind == "multipart/form-data":
        for name, _filename, data in multipart_parts(body, content_type):
            args[name] = data.decode("utf-8", "replace")
    else:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return args


def multipart_parts(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name or None, bytes) for each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        parts.append((str(name or ""), str(filename) if filename else None, part.get_payload(decode=True) or b""))
    return parts


def upload_bytes(body: bytes, content_type: str) -> bytes:
    """The file in an upload: the raw body, or the first file part of a multipart form."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return body
    parts = multipart_parts(body, content_type)
    with_file = [data for _, filename, data in parts if filename]
    if with_file:
        return with_file[0]
    return parts[0][2] if parts else b""


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None
