"""A throwaway PostgreSQL cluster for the tests and the benchmark: initdb + pg_ctl in a temporary
directory, a private socket directory and port, run as the unprivileged `postgres` account when
started as root (initdb refuses root), stopped and removed afterwards."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def postgres_bindir() -> Path | None:
    """The directory of initdb and pg_ctl: `pg_config --bindir`, Debian's paths, or PATH."""
    candidates: list[str] = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                         check=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if found := shutil.which("initdb"):
        candidates.append(str(Path(found).parent))
    for directory in candidates:
        if directory and (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: its superuser's password, port and socket directory."""

    bindir: Path
    directory: Path
    port: int
    password: str
    as_postgres: bool
    fsync: bool = False  # off for the tests (a lost cluster costs nothing), on for the benchmark

    @property
    def socket_dir(self) -> Path:
        """The private Unix socket directory."""
        return self.directory / "sock"

    def dsn(self, database: str = "postgres", *, password: bool = True) -> str:
        """A URL for `database` over TCP on 127.0.0.1, with or without the password."""
        secret = f":{self.password}" if password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the cluster's owner."""
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False,
                              cwd=self.directory)

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.socket_dir} -c fsync={'on' if self.fsync else 'off'} "
                   "-c max_connections=60")
        result = self.run("pg_ctl", "-D", str(self.directory / "data"), "-l",
                          str(self.directory / "server.log"), "-w", "-t", "60", "-o", options, "start")
        if result.returncode != 0:
            log = (self.directory / "server.log")
            raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")

    def stop(self) -> None:
        """Stop the server at once (the tests need no clean shutdown)."""
        self.run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")


def start_cluster(*, fsync: bool = False) -> Cluster:
    """initdb and start a cluster in a fresh temporary directory."""
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb, pg_ctl)")
    as_postgres = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="issuelog-pg-"))
    (directory / "sock").mkdir()
    password = secrets.token_hex(12)
    (directory / "pw").write_text(password + "\n")
    if as_postgres:
        owner = pwd.getpwnam("postgres")
        directory.chmod(0o700)
        for path in (directory, directory / "sock", directory / "pw"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bindir, directory, _free_port(), password, as_postgres, fsync)
    result = cluster.run("initdb", "-D", str(directory / "data"), "-U", "postgres", "-A",
                         "scram-sha-256", f"--pwfile={directory / 'pw'}", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync")
    if result.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {result.stderr}")
    cluster.start()
    return cluster


def remove_cluster(cluster: Cluster) -> None:
    """Stop the server and delete its directory."""
    cluster.stop()
    shutil.rmtree(cluster.directory, ignore_errors=True)
