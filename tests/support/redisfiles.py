"""Reading Redis's files the way someone who copied its data directory would.

Redis 7 keeps its append-only file as several parts listed in appendonlydir/*.manifest: a base
(an RDB snapshot, "RDB preamble", or commands) and increments (commands in RESP). dump.rdb is
a snapshot. RDB strings longer than 20 bytes are usually LZF-compressed, so a plain byte search
would miss them: `strings_in` decodes every key and value instead.
"""

from __future__ import annotations

import re
import shutil
import signal
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from storage.crypto import Cipher, DecryptionError
from storage.state import open_draft
from tests.support.servers import free_port, stop_pid

ENVELOPE = re.compile(rb'\{"v":1,"key":"[A-Za-z0-9+/=]+","data":"[A-Za-z0-9+/=]+"\}')


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int) -> bytes:
        chunk = self.data[self.at : self.at + count]
        if len(chunk) != count:
            raise AssertionError("truncated RDB file")
        self.at += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def length(self) -> tuple[int, bool]:
        """(value, is_special_encoding)."""
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return struct.unpack(">I", self.take(4))[0], False
        if first == 0x81:
            return struct.unpack(">Q", self.take(8))[0], False
        raise AssertionError(f"unknown RDB length byte {first:#x}")

    def string(self) -> bytes:
        value, special = self.length()
        if not special:
            return self.take(value)
        if value == 0:
            return str(struct.unpack("<b", self.take(1))[0]).encode()
        if value == 1:
            return str(struct.unpack("<h", self.take(2))[0]).encode()
        if value == 2:
            return str(struct.unpack("<i", self.take(4))[0]).encode()
        if value == 3:
            compressed, _ = self.length()
            size, _ = self.length()
            return lzf_decompress(self.take(compressed), size)
        raise AssertionError(f"unknown RDB string encoding {value}")


def lzf_decompress(data: bytes, size: int) -> bytes:
    out = bytearray()
    at = 0
    while at < len(data):
        control = data[at]
        at += 1
        if control < 32:  # a literal run of control + 1 bytes
            out += data[at : at + control + 1]
            at += control + 1
            continue
        length = control >> 5
        if length == 7:
            length += data[at]
            at += 1
        back = ((control & 0x1F) << 8) + data[at] + 1
        at += 1
        start = len(out) - back
        for offset in range(length + 2):  # may overlap what it copies
            out.append(out[start + offset])
    if len(out) != size:
        raise AssertionError("LZF data does not decompress to its stated size")
    return bytes(out)


# Value types whose whole value is one string (ziplist, listpack, intset, zipmap encodings).
_ONE_STRING = {0, 9, 10, 11, 12, 13, 16, 17, 20}


def rdb_strings(data: bytes) -> Iterator[bytes]:
    """Every key and value (encoded containers as their raw, decompressed bytes) of an RDB."""
    reader = _Reader(data)
    if reader.take(5) != b"REDIS":
        raise AssertionError("not an RDB file")
    reader.take(4)  # version
    while True:
        opcode = reader.byte()
        if opcode == 0xFF:  # EOF (a checksum follows)
            return
        if opcode == 0xFA:  # AUX field
            yield reader.string()
            yield reader.string()
        elif opcode == 0xFB:  # RESIZEDB
            reader.length()
            reader.length()
        elif opcode == 0xFC:
            reader.take(8)
        elif opcode == 0xFD:
            reader.take(4)
        elif opcode == 0xFE:  # SELECTDB
            reader.length()
        elif opcode == 0xF9:  # FREQ
            reader.take(1)
        elif opcode == 0xF8:  # IDLE
            reader.length()
        else:
            yield reader.string()  # the key
            yield from _value(reader, opcode)


def _value(reader: _Reader, kind: int) -> Iterator[bytes]:
    if kind in _ONE_STRING:
        yield reader.string()
    elif kind in (1, 2):  # list, set
        for _ in range(reader.length()[0]):
            yield reader.string()
    elif kind == 3:  # zset, scores as strings
        for _ in range(reader.length()[0]):
            yield reader.string()
            score_length = reader.byte()
            if score_length < 253:
                reader.take(score_length)
    elif kind == 4:  # hash
        for _ in range(reader.length()[0] * 2):
            yield reader.string()
    elif kind == 5:  # zset, binary scores
        for _ in range(reader.length()[0]):
            yield reader.string()
            reader.take(8)
    elif kind == 14:  # quicklist of ziplists
        for _ in range(reader.length()[0]):
            yield reader.string()
    elif kind == 18:  # quicklist of listpacks
        for _ in range(reader.length()[0]):
            reader.length()  # container kind
            yield reader.string()
    else:
        raise AssertionError(f"RDB value type {kind} is not read by this test helper")


def resp_strings(data: bytes) -> Iterator[bytes]:
    """Every argument of every command in an append-only file written as commands (RESP)."""
    at = 0
    while at < len(data):
        if data[at : at + 1] != b"*":
            raise AssertionError("not a RESP append-only file")
        end = data.index(b"\r\n", at)
        count = int(data[at + 1 : end])
        at = end + 2
        for _ in range(count):
            end = data.index(b"\r\n", at)
            if data[at : at + 1] != b"$":
                raise AssertionError("not a RESP bulk string")
            size = int(data[at + 1 : end])
            at = end + 2
            yield data[at : at + size]
            at += size + 2


def strings_in(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if not data:
        return []
    if data.startswith(b"REDIS"):
        return list(rdb_strings(data))
    return list(resp_strings(data))


def persisted_files(directory: Path) -> list[Path]:
    """Every file Redis keeps in its data directory that holds data (not the manifest)."""
    files = [p for p in directory.rglob("*") if p.is_file() and not p.name.endswith(".manifest")]
    return sorted(p for p in files if p.suffix in (".rdb", ".aof"))


def every_string(directory: Path) -> list[bytes]:
    out: list[bytes] = []
    for path in persisted_files(directory):
        out += strings_in(path)
    return out


def openable_drafts(strings: list[bytes], cipher: Cipher, owner: str) -> int:
    """How many sealed drafts of `owner` in these strings the cipher still opens."""
    opened = 0
    for value in strings:
        for envelope in ENVELOPE.findall(value):
            try:
                open_draft(cipher, owner, envelope)
            except DecryptionError:
                continue
            opened += 1
    return opened


# Redis's own defaults when started without a configuration file (as the compose file does).
DEFAULT_SAVE = "3600 1 300 100 60 10000"


@dataclass
class AofRedis:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def snapshot_now(self) -> None:
        """BGREWRITEAOF and BGSAVE, finished: the base file and dump.rdb hold what is live."""
        client = self.client()
        try:
            for command, counter in (("BGREWRITEAOF", "aof_rewrites"), ("BGSAVE", "rdb_saves")):
                before = _start(client, command, counter)
                _eventually(lambda c=counter, b=before: _finished(client, c, b), what=command)
        finally:
            client.close()


def _start(client: redis.Redis, command: str, counter: str) -> int:
    """Start a rewrite or snapshot (waiting out one the bot started); the counter before it."""
    deadline = time.monotonic() + 60
    while True:
        before = int(client.info("persistence")[counter])
        try:
            client.execute_command(command)
            return before
        except redis.ResponseError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _finished(client: redis.Redis, counter: str, before: int) -> bool:
    info = client.info("persistence")
    busy = ("aof_rewrite_in_progress", "aof_rewrite_scheduled", "rdb_bgsave_in_progress")
    return int(info[counter]) > before and not any(int(info[flag]) for flag in busy)


@contextmanager
def start_aof_redis(directory: Path, *extra: str) -> Iterator[AofRedis]:
    """A redis-server with the append-only file on and Redis's default snapshots, stopped by
    pid at the end; `extra` arguments go to redis-server."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    directory.mkdir(parents=True)
    port = free_port()
    command = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
        "--appendonly", "yes", "--save", DEFAULT_SAVE, *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    server = AofRedis(directory, port, process)
    client = server.client()
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    client.close()
    try:
        yield server
    finally:
        stop_pid(process.pid, signal.SIGTERM)
        process.wait(10)


def _eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"Redis did not finish: {what}")
        time.sleep(0.02)
