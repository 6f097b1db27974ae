"""Run deploy/nginx.conf on this machine as an unprivileged process, for tests and benchmarks.

The site file is used as shipped, with its placeholders replaced: plain HTTP on a free local
port instead of TLS on 443 (the port-80 redirect is left out), the given gunicorn address,
static folder, cache folder and host name. ``start()`` returns the running nginx and its port.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
SITE = DEPLOY / "nginx.conf"


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_config(*, upstream: str, port: int, static_root: str, cache_dir: str, host: str) -> str:
    text = SITE.read_text(encoding="utf-8")
    text = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", text, flags=re.DOTALL)
    text = text.replace("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{port};\n")
    text = re.sub(r"    listen \[::\]:443 ssl http2;\n", "", text)
    text = re.sub(r"    ssl_[a-z_]+ [^\n]*;\n", "", text)
    text = text.replace("server 127.0.0.1:8000;", f"server {upstream};")
    text = text.replace("/srv/hub/static/", static_root.rstrip("/") + "/")
    text = text.replace("/var/cache/nginx/hub", cache_dir)
    return text.replace("participation.example.org", host)


def main_config(site: str, prefix: Path) -> str:
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers stay this user
    return (
        f"{user}worker_processes 2;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log off;\n{temp}\n{site}\n}}\n"
    )


def start(
    prefix: Path, *, upstream: str, static_root: str, host: str = "localhost"
) -> tuple[subprocess.Popen, int]:
    """Start nginx (not daemonised) with its files under ``prefix``; wait for its port."""
    nginx = find_nginx()
    if nginx is None:
        raise FileNotFoundError("nginx is not installed (apt-get install -y nginx-light)")
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    site = site_config(
        upstream=upstream,
        port=port,
        static_root=static_root,
        cache_dir=str(prefix / "cache"),
        host=host,
    )
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(site, prefix), encoding="utf-8")
    output = prefix / "nginx.out"
    with open(output, "wb") as sink:
        proc = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx did not start: {output.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("nginx did not open its port")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
