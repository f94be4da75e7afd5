"""A throwaway PostgreSQL server for the tests and the benchmarks, from Debian's `postgresql` binaries.

    server = TemporaryServer.start()        # initdb, then pg_ctl start on a free loopback port
    url = server.create_database("t1")      # postgresql://postgres:...@127.0.0.1:PORT/t1
    server.stop(); server.start_again()     # the same data, as after a restart
    server.cleanup()                        # stop it and remove its folder

The server runs as the `postgres` user when we are root (PostgreSQL refuses to run as root), from a folder of
its own owned by that user, with its unix socket in that folder and TCP on 127.0.0.1 only. Clients log in as
`postgres` with a password over TCP (scram-sha-256), so a wrong password can be tested. `fsync` is off by
default: the tests kill clients, never the machine, and a committed row is in the server's files either way.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

USER = "postgres"
INSTALL_HINT = ("PostgreSQL is not installed: install Debian's `postgresql` package (apt-get install postgresql; "
                "scripts/test and .ci/run do it when run as root), or put its bin folder (pg_config --bindir) on PATH")


def bindir() -> Path | None:
    """The folder of initdb and pg_ctl: `pg_config --bindir`, Debian's versioned folders, or PATH."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            candidates.append(done.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    found = [Path(c) for c in candidates if c and (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file()]
    return found[0] if found else None


def _version(folder: str) -> int:
    name = Path(folder).parent.name
    return int(name) if name.isdigit() else 0


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None when one can."""
    if bindir() is None:
        return INSTALL_HINT
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            return f"running as root, PostgreSQL must run as the `{USER}` user, and there is none ({INSTALL_HINT})"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class TemporaryServer:
    folder: Path
    port: int
    bin: Path
    fsync: bool = False
    password: str = field(default_factory=lambda: "lab-test-" + uuid.uuid4().hex[:12])
    _as_owner: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, *, fsync: bool = False) -> TemporaryServer:
        """A new cluster in a new folder, started; raises RuntimeError (with the server's log) when it cannot be."""
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        folder = Path(tempfile.mkdtemp(prefix="lab-pg-"))
        as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam(USER)
            os.chown(folder, owner.pw_uid, owner.pw_gid)
            as_owner = ["runuser", "-u", USER, "--"]
        bin_folder = bindir()
        assert bin_folder is not None
        server = cls(folder, free_port(), bin_folder, fsync, _as_owner=as_owner)
        password_file = folder / "password"
        password_file.write_text(server.password + "\n")
        if as_owner:
            os.chown(password_file, pwd.getpwnam(USER).pw_uid, pwd.getpwnam(USER).pw_gid)
        server._run("initdb", "-D", str(server.data), "-U", USER, "--pwfile", str(password_file), "-E", "UTF8",
                    "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions")
        password_file.unlink()
        server.start_again()
        return server

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres", *, password: str | None = None, user: str = USER) -> str:
        return f"postgresql://{user}:{self.password if password is None else password}@127.0.0.1:{self.port}/{database}"

    def start_again(self) -> None:
        """Start the server on its port (after `stop`): the same data, new connections."""
        for attempt in range(3):
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                          self._options(), "start")
                return
            except RuntimeError:
                if attempt == 2 or "could not bind" not in self._log_tail():
                    raise
                self.port = free_port()  # someone took the port meanwhile

    def _options(self) -> str:
        durable = "on" if self.fsync else "off"
        return (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                f"-c fsync={durable} -c full_page_writes={durable}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends sessions and shuts down cleanly, `immediate` as a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        done = subprocess.run([*self._as_owner, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                              capture_output=True, text=True, check=False)
        return done.returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as db:
            db.execute(statement)  # type: ignore[arg-type]  # our own fixed statements

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its URL."""
        name = name or "t_" + uuid.uuid4().hex[:12]
        self.sql(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY file_copy')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def cleanup(self) -> None:
        """Stop the server (when running) and remove its folder."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self._as_owner, str(self.bin / program), *args], capture_output=True, text=True,
                              cwd=self.folder, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}\n"
                               f"{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""


def wait_until(predicate: object, timeout_s: float = 10.0) -> bool:
    """Poll `predicate()` until it is true or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False
