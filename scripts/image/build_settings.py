"""Writes this machine's package index settings as build secrets for `podman build` (never into the repository).

    python3 scripts/image/build_settings.py OUT_DIR

Reads pip's configuration files and PIP_* variables, npm's registry and auth lines, and finds the CA bundle the
machine trusts. Writes OUT_DIR/pip_conf, OUT_DIR/npmrc and OUT_DIR/ca_bundle (each only when there is something to
say) and prints one line per file saying what it holds, without any credential. Local (file://) indexes are left
out: a build cannot see this machine's disk.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

SECRET_CA = "/run/secrets/ca_bundle"
PIP_FILES = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf"]
CA_CANDIDATES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]


def pip_settings() -> dict[str, list[str]]:
    """index-url, extra-index-url, trusted-host and cert as pip would read them (files, then the environment)."""
    parser = configparser.ConfigParser()
    files = [os.path.expanduser(path) for path in PIP_FILES]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(os.environ["PIP_CONFIG_FILE"])
    parser.read([path for path in files if os.path.isfile(path)])
    settings: dict[str, list[str]] = {}
    for key in ("index-url", "extra-index-url", "trusted-host", "cert"):
        for section in ("global", "install"):
            if parser.has_option(section, key):
                settings[key] = parser.get(section, key).split()
        variable = "PIP_" + key.upper().replace("-", "_")
        if os.environ.get(variable):
            settings[key] = os.environ[variable].split()
    return settings


def reachable_from_a_build(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{parts.path}" if parts.username else url


def ca_bundle(pip: dict[str, list[str]]) -> str | None:
    candidates = [os.environ.get("IMAGE_CA_BUNDLE"), *pip.get("cert", []), os.environ.get("SSL_CERT_FILE"),
                  os.environ.get("REQUESTS_CA_BUNDLE"), *CA_CANDIDATES]
    return next((path for path in candidates if path and os.path.isfile(path)), None)


def npm_lines() -> list[str]:
    """The registry npm uses here, and any scoped registries or auth lines from the user's .npmrc."""
    lines = []
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")
    if not registry and shutil.which("npm"):
        registry = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True,
                                  check=False).stdout.strip()
    if registry:
        lines.append(f"registry={registry}")
    npmrc = Path(os.environ.get("NPM_CONFIG_USERCONFIG") or "~/.npmrc").expanduser()
    if npmrc.is_file():
        for line in npmrc.read_text().splitlines():
            line = line.strip()
            if line.startswith("//") or (line.startswith("@") and ":registry=" in line):
                lines.append(line)
    return lines


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    pip = pip_settings()
    ca = ca_bundle(pip)
    if ca:
        shutil.copyfile(ca, out / "ca_bundle")
        print(f"  CA bundle: {ca}")
    pip_conf = ["[global]"]
    for key in ("index-url", "extra-index-url", "trusted-host"):
        values = pip.get(key, [])
        kept = [value for value in values if key == "trusted-host" or reachable_from_a_build(value)]
        for value in values:
            if value not in kept:
                print(f"  pip {key} {value}: a local index, not visible inside the build, left out")
        if kept:
            pip_conf.append(f"{key} = {' '.join(kept)}")
            shown = kept if key == "trusted-host" else [without_credentials(value) for value in kept]
            print(f"  pip {key}: {' '.join(shown)}")
    if ca:
        pip_conf.append(f"cert = {SECRET_CA}")
    if len(pip_conf) > 1:
        (out / "pip_conf").write_text("\n".join(pip_conf) + "\n")
    npmrc = npm_lines()
    if ca:
        npmrc.append(f"cafile={SECRET_CA}")
    if npmrc:
        (out / "npmrc").write_text("\n".join(npmrc) + "\n")
        registry = next((line for line in npmrc if line.startswith("registry=")), "registry=(npm's default)")
        print(f"  npm {without_credentials(registry.removeprefix('registry='))}"
              f"{' and auth lines from .npmrc' if any(line.startswith('//') for line in npmrc) else ''}")
    for path in out.iterdir():
        path.chmod(0o600)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
