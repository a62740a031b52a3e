"""The server side of RFC 6455 WebSockets, as much as Socket Mode needs: the upgrade handshake,
text/ping/pong/close frames, unmasked from the server and masked from the client.

Written here (about a hundred lines) so the sandbox needs no WebSocket library: nothing in the
project's environment serves WebSockets, and slack_sdk's built-in client speaks plain RFC 6455.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
MAX_FRAME = 4 * 1024 * 1024


class Closed(Exception):
    """The peer went away or broke the protocol."""


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def read_request(sock: socket.socket) -> tuple[str, dict]:
    """The request line's target and the headers (lower-case names) of an HTTP upgrade request."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk or len(data) > 65536:
            raise Closed("handshake cut short")
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    if len(parts) < 2 or parts[0] != "GET":
        raise Closed("not a GET upgrade")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return parts[1], headers


def answer_upgrade(sock: socket.socket, headers: dict) -> None:
    key = headers.get("sec-websocket-key", "")
    sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n").encode())


def refuse(sock: socket.socket, status: str, body: str) -> None:
    data = body.encode()
    sock.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(data)}\r\n"
                 f"Connection: close\r\n\r\n".encode() + data)


class WebSocket:
    """One accepted connection; `send_*` may be called from any thread, `receive` from one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._send_lock = threading.Lock()
        self.closed = False

    def _exact(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            try:
                chunk = self.sock.recv(count - len(data))
            except OSError as error:
                raise Closed(str(error)) from error
            if not chunk:
                raise Closed("connection closed")
            data += chunk
        return data

    def receive(self) -> tuple[int, bytes]:
        """The next frame's (opcode, payload); continuation frames are joined."""
        opcode, payload = None, b""
        while True:
            first, second = self._exact(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._exact(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._exact(8))[0]
            if length > MAX_FRAME:
                raise Closed("frame too large")
            mask = self._exact(4) if second & 0x80 else None
            data = self._exact(length)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode is None or (first & 0x0F) in (CLOSE, PING, PONG):
                if (first & 0x0F) in (CLOSE, PING, PONG):
                    return first & 0x0F, data
                opcode = first & 0x0F
            payload += data
            if first & 0x80:
                return opcode, payload

    def _send(self, opcode: int, data: bytes) -> None:
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([len(data)])
        elif len(data) < 65536:
            header += bytes([126]) + struct.pack("!H", len(data))
        else:
            header += bytes([127]) + struct.pack("!Q", len(data))
        with self._send_lock:
            if self.closed:
                raise Closed("already closed")
            try:
                self.sock.sendall(header + data)
            except OSError as error:
                raise Closed(str(error)) from error

    def send_text(self, text: str) -> None:
        self._send(TEXT, text.encode("utf-8"))

    def pong(self, data: bytes) -> None:
        self._send(PONG, data)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (when still possible) and shut the socket."""
        try:
            self._send(CLOSE, struct.pack("!H", code) + reason.encode())
        except Closed:
            pass
        self.drop()

    def drop(self) -> None:
        """Cut the TCP connection without a close frame, as a network failure would."""
        with self._send_lock:
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
