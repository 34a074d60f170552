"""Running a function on untrusted input in a separate process that cannot hurt the server.

A parser handed a hostile file can spend seconds and gigabytes inside C code that no limit in
Python interrupts, holding the interpreter while every other visitor waits. So a reading runs in
a worker process with an address-space limit (`resource.RLIMIT_AS`) and is killed when it passes
its wall-clock limit; the server's own thread only waits on a pipe. Workers are started once and
reused (a small pool), so a file costs the server a pickle over a pipe, not a new interpreter.

Only this package's own functions are sent, and only plain data and this package's classes come
back: the reply is unpickled with a list of what it may contain.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

POOL_SIZE = 2  # files read at once; the server has two cores and other visitors need one
READY_SECONDS = 30.0  # a new worker imports the reading code before it takes a file
BUSY_SECONDS = 30.0  # how long a file waits for a free worker before the uploader is told to try again
_ROOT = Path(__file__).resolve().parents[2]
_HEADER = 8  # bytes of length before each message
_OUT_OF_MEMORY = 3  # what a worker exits with when it runs out of memory outside a reply
# Numerical libraries the reading code imports start a thread per core, each reserving address space
# that would count against the worker's limit on a many-core server: one thread is all it needs.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_SAFE_BUILTINS = frozenset({"list", "dict", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes",
                            "NoneType"})


class ContainedFailure(Exception):
    """The worker did not give an answer: `kind` says why ('time', 'processor time', 'memory', 'busy'
    or 'crashed')."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


class _Reply(pickle.Unpickler):
    """Unpickles only plain data, exceptions and classes of benchmark.intake."""

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name)
        if module == "builtins" and (name in _SAFE_BUILTINS or (isinstance(found, type)
                                                                and issubclass(found, Exception))):
            return found
        if module.startswith("benchmark.intake.") and isinstance(found, type):
            return found
        if module == "datetime" and name in ("date", "datetime"):
            return found
        raise pickle.UnpicklingError(f"a worker's reply may not hold {module}.{name}")


class _Worker:
    """One worker process, talking length-prefixed pickles over its standard input and output."""

    def __init__(self, memory_bytes: int, warm: tuple[str, ...]) -> None:
        self.memory_bytes = memory_bytes
        self.warm = warm
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(memory_bytes), *warm], cwd=_ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True, env={**os.environ, **_ONE_THREAD})
        self.ready = False

    def exchange(self, payload: bytes, ends: float) -> bytes:
        """Send one message and return the reply, or fail once `ends` (time.monotonic) has passed."""
        stdin, stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        outgoing = memoryview(len(payload).to_bytes(_HEADER, "big") + payload)
        os.set_blocking(stdin, False)
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE)
            while outgoing:
                if not selector.select(max(0.0, ends - time.monotonic())):
                    raise ContainedFailure("time")
                try:
                    outgoing = outgoing[os.write(stdin, outgoing):]
                except BlockingIOError:
                    continue
                except OSError as error:
                    raise ContainedFailure("crashed", str(error)) from None
        size = int.from_bytes(self._receive(stdout, _HEADER, ends, "time"), "big")
        return self._receive(stdout, size, ends, "time")

    def wait_ready(self) -> None:
        """A new worker says it is ready once it has imported the reading code and limited itself."""
        if not self.ready:
            self._receive(self.process.stdout.fileno(), 1, time.monotonic() + READY_SECONDS, "busy")
            self.ready = True

    def _receive(self, fd: int, size: int, ends: float, late: str) -> bytes:
        received = bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(received) < size:
                if not selector.select(max(0.0, ends - time.monotonic())):
                    raise ContainedFailure(late)
                chunk = os.read(fd, min(size - len(received), 1 << 20))
                if not chunk:
                    raise ContainedFailure(self._why_stopped(), f"the reading process stopped (exit "
                                                                f"{self.process.poll()})")
                received += chunk
        return bytes(received)

    def _why_stopped(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "crashed"
        if code == -signal.SIGXCPU:
            return "processor time"
        return "memory" if code == _OUT_OF_MEMORY else "crashed"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close()


_idle: list[_Worker] = []
_idle_lock = threading.Lock()
_slots = threading.BoundedSemaphore(POOL_SIZE)


def _take(memory_bytes: int, warm: tuple[str, ...]) -> _Worker:
    with _idle_lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive() and worker.memory_bytes == memory_bytes and worker.warm == warm:
                break
            worker.stop()
        else:
            worker = _Worker(memory_bytes, warm)
        if not _idle:
            _idle.append(_Worker(memory_bytes, warm))  # a spare, importing while this one works
    return worker


def prewarm(memory_bytes: int, warm: tuple[str, ...] = ()) -> None:
    """Start a worker now, so that the first file after the server starts does not wait for one."""
    with _idle_lock:
        if not _idle:
            _idle.append(_Worker(memory_bytes, warm))


def run(function: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int, cpu_seconds: int | None = None,
        warm: tuple[str, ...] = ()) -> Any:
    """`function(*args)` in a worker with at most `memory_bytes` more address space than its own code
    holds, killed after
    `seconds` of wall-clock time or (by the kernel, `RLIMIT_CPU`) after about `cpu_seconds` of processor
    time; returns its result or raises what it raised. `function` must be importable by name.
    `warm`: modules a new worker imports before it is ready. The time counts from when a ready
    worker takes the call: waiting for a free or a new worker is the server's cost, not the file's."""
    if not _slots.acquire(timeout=BUSY_SECONDS):
        raise ContainedFailure("busy")
    try:
        worker = _take(memory_bytes, warm)
        try:
            worker.wait_ready()
            ends = time.monotonic() + seconds
            call = pickle.dumps((function, args, cpu_seconds), protocol=5)
            reply = _Reply(io.BytesIO(worker.exchange(call, ends))).load()
        except BaseException:
            worker.stop()
            raise
        outcome, value = reply
        if outcome == "memory":
            worker.stop()
            raise ContainedFailure("memory")
        with _idle_lock:
            _idle.append(worker)
    finally:
        _slots.release()
    if outcome == "raised":
        raise value
    return value


def _read_exactly(stream: io.BufferedReader, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _serve(memory_bytes: int, warm: list[str]) -> int:
    """The worker's loop: import, limit itself, say it is ready, then answer until its input closes."""
    import importlib
    import math
    import resource

    for module in warm:
        importlib.import_module(module)
    # The limit is on memory beyond what the worker's own code already holds, whatever the machine.
    held = next(int(line.split()[1]) * 1024 for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (held + memory_bytes, held + memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    incoming, outgoing = sys.stdin.buffer, sys.stdout.buffer
    outgoing.write(b"R")
    outgoing.flush()
    while (header := _read_exactly(incoming, _HEADER)) is not None:
        payload = _read_exactly(incoming, int.from_bytes(header, "big"))
        if payload is None:
            return 0
        out_of_memory = False
        try:
            function, args, cpu_seconds = pickle.loads(payload)
            del payload
            if cpu_seconds is not None:  # counted from now: the kernel stops the worker beyond it
                used = resource.getrusage(resource.RUSAGE_SELF)
                resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(used.ru_utime + used.ru_stime + cpu_seconds),
                                                         resource.RLIM_INFINITY))
            reply = pickle.dumps(("returned", function(*args)), protocol=5)
        except MemoryError:
            out_of_memory = True
            reply = pickle.dumps(("memory", None))
        except Exception as error:  # handed back to the caller, who decides what it means
            try:
                reply = pickle.dumps(("raised", error), protocol=5)
            except Exception:
                reply = pickle.dumps(("raised", RuntimeError(f"{type(error).__name__}: {error}")))
        try:
            outgoing.write(len(reply).to_bytes(_HEADER, "big") + reply)
            outgoing.flush()
        except MemoryError:
            return _OUT_OF_MEMORY
        if out_of_memory:  # a fresh worker takes the next file
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1]), sys.argv[2:]))
