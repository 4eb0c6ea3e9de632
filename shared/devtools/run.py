"""The run command: ``make run`` → the whole platform on this machine.

Starts the embedded PostgreSQL (or uses ``PLATFORM_DATABASE_URL``), bootstraps it, loads
the seed data, starts the four services, waits until each is ready and prints the URLs.
Ctrl-C (or SIGTERM) stops everything it started. A second run while one is going says so.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from shared.devtools.stack import DEFAULT_PORTS, ROOT, Stack, StackConfig

DATA = Path(os.environ.get("PLATFORM_DATA_DIR", ROOT / ".data"))


def _ports() -> dict[str, int]:
    return {
        s: int(os.environ.get(f"PLATFORM_{s.upper()}_PORT", p)) for s, p in DEFAULT_PORTS.items()
    }


def _say(message: str) -> None:
    print(message, flush=True)


def _demo_summary(path: Path) -> str:
    """The demo credentials, printed so a newcomer can call the API at once."""
    demo = json.loads(path.read_text())
    lines = [f"\nDemo credentials (also in {path}):"]
    for c in demo.get("clients", []):
        lines.append(
            f"  client {c['client_id']:16} secret {c['client_secret']}  ({c['agency']}: "
            + " ".join(c["scopes"])
            + ")"
        )
    for u in demo.get("users", []):
        extra = f"  totp secret {u['totp_secret']}" if u.get("totp_secret") else ""
        lines.append(
            f"  user   {u['username']:16} password {u['password']}  "
            f"({u['agency']}: {', '.join(u['roles'])}){extra}"
        )
    gateway = demo.get("gateway", "http://127.0.0.1:8000")
    first = (demo.get("clients") or [{}])[0]
    if first:
        lines.append(
            f"\n  curl -s -d grant_type=client_credentials -d client_id={first['client_id']} "
            f"-d client_secret=... {gateway}/oauth/token"
        )
    return "\n".join(lines)


def main() -> int:
    DATA.mkdir(parents=True, exist_ok=True)
    lock_file = (DATA / "run.lock").open("a+")
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        state = DATA / "run.json"
        where = json.loads(state.read_text()).get("gateway", "?") if state.exists() else "?"
        _say(f"The platform is already running (gateway {where}); stop it with Ctrl-C first.")
        return 1

    config = StackConfig(
        data_dir=DATA,
        ports=_ports(),
        admin_url=os.environ.get("PLATFORM_DATABASE_URL") or None,
        pg_port=int(os.environ["PLATFORM_PG_PORT"]) if os.environ.get("PLATFORM_PG_PORT") else None,
    )
    stack = Stack(config)
    busy = stack.busy_ports()
    if busy:
        _say(f"Ports already in use: {busy}. Set PLATFORM_<SERVICE>_PORT to choose others.")
        return 1

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _say("database: starting" + (" (embedded)" if not config.admin_url else ""))
        stack.start_database()
        _say("database: bootstrapping roles, schemas and migrations")
        stack.bootstrap()
        stack.run_seeds()
        _say("services: starting")
        stack.start_services()
        stack.wait_ready()
        urls = {s: stack.service_url(s) for s in DEFAULT_PORTS}
        (DATA / "run.json").write_text(json.dumps(urls | {"pid": os.getpid()}))
        _say("\nThe platform is running:")
        for service, url in urls.items():
            _say(f"  {service:8} {url}   (docs {url}/docs)")
        credentials = DATA / "demo-credentials.json"
        if credentials.exists():
            _say(_demo_summary(credentials))
        _say("\nCtrl-C stops everything.")
        while not stop.is_set():
            for service, proc in stack.processes.items():
                if proc.poll() is not None:
                    _say(f"{service} exited with code {proc.returncode}; stopping.")
                    stop.set()
            stop.wait(1.0)
    except Exception as exc:  # report and clean up; never leave processes behind
        _say(f"run failed: {exc}")
        return_code = 1
    else:
        return_code = 0
    finally:
        _say("stopping services and database…")
        stack.stop()
        (DATA / "run.json").unlink(missing_ok=True)
        _say("stopped.")
    return return_code


if __name__ == "__main__":
    sys.exit(main())
