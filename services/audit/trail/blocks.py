"""Verify's COPY text checked in blocks by worker processes, stitched at the block edges.

A link holds when ``SHA-256(stored hash of the event before ‖ document) == stored hash``;
the chain is valid exactly when every link holds in ``seq`` order with no gap, and the first
break is the first link that does not hold (until then each stored hash equals the computed
one, so the serial walker's predecessor and the stored one are the same bytes). So a block of
COPY lines can be checked on its own from the seq and *stored* hash of the line before it,
in another process, and the blocks' answers taken in order: the first block that breaks (or
meets a line the text path is not sure of) decides, exactly as the serial walk would; the
blocks after it are ignored. The reading process only cuts COPY output at line ends and
hands the blocks out, so the canonical JSON and SHA-256 work runs on every core.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import fcntl
import json
import os
import re
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from services.audit.trail.chain import Break, ChainWalker
from services.audit.trail.copytext import NULL, JsonCache, feed_lines, unescape

#: bytes of COPY text per block (~2,000 events): one block fits the worker's pipe whole, so
#: handing it over is one write and one read, not a wake-up of both sides per 64 KB (under a
#: loaded scheduler each wake-up can wait milliseconds: that stalled the first version)
BLOCK_BYTES = 768 << 10
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size for unprivileged processes
_HEX64 = re.compile(r"[0-9a-f]{64}")
_cache: JsonCache | None = None  # one per worker process
_ROOT = str(Path(__file__).resolve().parents[3])  # the folder holding ``services``


@dataclass
class BlockResult:
    """What one block's walk ended with (a walker's state after its lines)."""

    checked: int
    expected_seq: int
    prev_hash: str
    broken: Break | None = None
    unsure: int | None = None
    seen: dict[int, str] = field(default_factory=dict)
    error: str | None = None


def check_block(data: bytes, expected_seq: int, prev_hash: str, watch: list[int]) -> BlockResult:
    """Walk one block of COPY lines after the event ``expected_seq - 1`` with ``prev_hash``.

    A ``prev_hash`` that is no SHA-256 hex (a tampered stored hash on the line before) means
    the block before breaks at that line, so this block's answer is never used."""
    global _cache  # one per worker process, bounded
    if _cache is None:
        _cache = JsonCache()
    if not _HEX64.fullmatch(prev_hash):
        return BlockResult(0, expected_seq, prev_hash, unsure=-1)
    walker = ChainWalker(expected_seq=expected_seq, prev_hash=prev_hash, watch=set(watch))
    lines = data.decode("utf-8").split("\n")
    lines.pop()
    unsure = feed_lines(walker, lines, _cache)
    return BlockResult(
        walker.checked, walker.expected_seq, walker.prev_hash, walker.broken, unsure, walker.seen
    )


def default_workers() -> int:
    """1: verify checks in its own process unless asked (``--workers`` of the command).
    Measured on the shared two-core machine at load 9-13, two workers were 10-15 % slower
    than one process (no idle core to gain; each hand-over waits for the scheduler)."""
    return 1


def _answer(result: BlockResult) -> bytes:
    broken = None if result.broken is None else dataclasses.asdict(result.broken)
    data = dataclasses.asdict(result) | {"broken": broken}
    return json.dumps(data).encode() + b"\n"


def _from_answer(line: bytes) -> BlockResult:
    data = json.loads(line)
    broken = data.pop("broken")
    seen = {int(k): v for k, v in data.pop("seen").items()}
    return BlockResult(**data, seen=seen, broken=None if broken is None else Break(**broken))


def serve() -> None:
    """A worker: ``python -m services.audit.trail.blocks``. Reads blocks from stdin (a JSON
    line ``{"seq", "prev", "watch", "size"}`` then ``size`` bytes of COPY text), answers
    each with a JSON line of its ``BlockResult`` on stdout, in order, until stdin closes."""
    read, write = sys.stdin.buffer, sys.stdout.buffer
    while header := read.readline():
        ask = json.loads(header)
        data = read.read(ask["size"])
        try:
            result = check_block(data, ask["seq"], ask["prev"], ask["watch"])
        except Exception as exc:  # the reading process raises it if this block decides
            result = BlockResult(0, ask["seq"], ask["prev"], error=f"{type(exc).__name__}: {exc}")
        write.write(_answer(result))
        write.flush()


def _ignore(future: asyncio.Future[BlockResult]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved: a block after the decisive one may fail unseen


class Workers:
    """``count`` worker processes (this interpreter, this module only: no ``__main__`` of
    the caller re-imported), blocks handed out round robin and answered in order."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._procs: list[asyncio.subprocess.Process] = []
        self._last: list[asyncio.Future[BlockResult] | None] = []
        self._open: set[asyncio.Future[BlockResult]] = set()
        self._turn = 0

    async def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        for _ in range(self.count):
            self._procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    __name__,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=env,
                    limit=1 << 20,
                )
            )
            self._last.append(None)
            pipe = self._procs[-1].stdin.transport.get_extra_info("pipe")  # type: ignore[union-attr]
            with contextlib.suppress(OSError, AttributeError):  # not Linux: 64 KB pipes
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    async def submit(
        self, data: bytes, expected_seq: int, prev_hash: str, watch: list[int]
    ) -> asyncio.Future[BlockResult]:
        """Hand ``data`` to the next worker; the future answers when its turn comes."""
        turn = self._turn % self.count
        proc = self._procs[turn]
        self._turn += 1
        assert proc.stdin is not None
        assert proc.stdout is not None
        header = {"seq": expected_seq, "prev": prev_hash, "watch": watch, "size": len(data)}
        proc.stdin.write(json.dumps(header).encode() + b"\n")
        proc.stdin.write(data)
        # no wait while the worker is still busy with its last block: the reader stays
        # ``depth`` blocks ahead at most, so what waits here is bounded by that
        if proc.stdin.transport.get_write_buffer_size() > 4 * len(data):
            await proc.stdin.drain()
        stdout = proc.stdout
        before = self._last[turn]

        async def answer() -> BlockResult:
            if before is not None:  # this worker's answers come in the order asked
                await asyncio.wait([before])
            line = await stdout.readline()
            if not line:
                raise RuntimeError("a verify worker ended without answering")
            return _from_answer(line)

        future = asyncio.ensure_future(answer())
        self._last[turn] = future
        self._open.add(future)
        future.add_done_callback(self._open.discard)
        return future

    async def close(self) -> None:
        for future in list(self._open):  # answers no one waits for any more
            future.add_done_callback(_ignore)
            future.cancel()
        for proc in self._procs:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
        for proc in self._procs:
            try:
                await asyncio.wait_for(proc.wait(), timeout=5)
            except TimeoutError:
                proc.kill()
                await proc.wait()


class BlockReader:
    """The ``output`` of one or more COPY statements: cuts blocks, hands them out, and folds
    their answers into ``walker`` in order, ``depth`` blocks in flight at most (flat memory).

    ``done`` once a block breaks or meets an unsure line (``unsure`` is then its seq and the
    walker stands just before it); everything read after that is dropped."""

    def __init__(
        self, walker: ChainWalker, workers: Workers, depth: int, block_bytes: int = 0
    ) -> None:
        self.walker = walker
        self.workers = workers
        self.depth = depth
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.rows = 0
        self.unsure: int | None = None
        self.done = walker.broken is not None
        self.next_seq = walker.expected_seq
        self.next_prev = walker.prev_hash
        self._watch = sorted(walker.watch)
        self._parts: list[bytes] = []
        self._size = 0
        self._pending: deque[asyncio.Future[BlockResult]] = deque()

    async def __call__(self, data: bytes) -> None:
        if self.done:
            return
        self._parts.append(data)
        self._size += len(data)
        if self._size < self.block_bytes:
            return
        joined = b"".join(self._parts)
        start = 0
        while len(joined) - start >= self.block_bytes and not self.done:
            cut = joined.find(b"\n", start + self.block_bytes - 1) + 1
            if cut == 0:
                break
            await self._submit(joined[start:cut])
            start = cut
        self._parts = [joined[start:]] if start < len(joined) else []
        self._size = len(joined) - start

    async def end_of_statement(self) -> None:
        """A COPY statement ended: its output ends with a whole line; hand out the rest."""
        if self._parts and not self.done:
            joined = b"".join(self._parts)
            self._parts, self._size = [], 0
            await self._submit(joined)

    async def finish(self) -> None:
        """Wait for every block handed out (or drop them once the answer is known)."""
        await self.end_of_statement()
        while self._pending:
            future = self._pending.popleft()
            if self.done:
                future.add_done_callback(_ignore)
                future.cancel()
            else:
                self._fold(await future)

    async def _submit(self, block: bytes) -> None:
        last = block[block.rfind(b"\n", 0, len(block) - 1) + 1 : -1].split(b"\t", 2)
        lines = block.count(b"\n")
        self.rows += lines
        first = self.next_seq
        top = int(last[0])
        low, high = bisect.bisect_left(self._watch, first), bisect.bisect_right(self._watch, top)
        self._pending.append(
            await self.workers.submit(block, first, self.next_prev, self._watch[low:high])
        )
        stored = last[1].decode("utf-8")
        self.next_seq = top + 1
        self.next_prev = unescape(stored) if stored != NULL else ""
        while len(self._pending) > self.depth and not self.done:
            self._fold(await self._pending.popleft())

    def _fold(self, result: BlockResult) -> None:
        walker = self.walker
        if result.unsure == -1:  # only after a block that broke, which stops the fold first
            raise RuntimeError("a block started from a hash the block before did not check")
        if result.error is not None:  # what the walk in this process would have raised
            raise ValueError(result.error)
        walker.checked += result.checked
        walker.expected_seq = result.expected_seq
        walker.prev_hash = result.prev_hash
        walker.seen.update(result.seen)
        if result.broken is not None:
            walker.broken = result.broken
            self.done = True
        elif result.unsure is not None:
            self.unsure = result.unsure
            self.done = True


if __name__ == "__main__":
    serve()
