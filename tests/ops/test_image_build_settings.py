"""scripts/image/build_settings.py: this machine's package index settings become build secrets, safely."""

import importlib.util

from service.config import REPO_ROOT

spec = importlib.util.spec_from_file_location("build_settings", REPO_ROOT / "scripts" / "image" / "build_settings.py")
build_settings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_settings)


def run(tmp_path, monkeypatch, pip_conf: str, npmrc: str = ""):
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(pip_conf)
    (home / ".npmrc").write_text(npmrc)
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("IMAGE_CA_BUNDLE", str(ca))
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://npm.example.internal/")
    for variable in ("PIP_CONFIG_FILE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_CERT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(build_settings, "PIP_FILES", ["~/.config/pip/pip.conf"])
    out = tmp_path / "out"
    assert build_settings.main(out) == 0
    return out


def test_a_private_index_and_the_ca_bundle_reach_the_build_but_credentials_never_reach_the_output(
        tmp_path, monkeypatch, capsys):
    out = run(tmp_path, monkeypatch,
              "[global]\nindex-url = https://ci:s3cret-token@pypi.example.internal/simple\n",
              "//npm.example.internal/:_authToken=npm-s3cret\n")
    printed = capsys.readouterr().out
    assert "s3cret" not in printed
    assert "pypi.example.internal/simple" in printed
    pip_conf = (out / "pip_conf").read_text()
    assert "index-url = https://ci:s3cret-token@pypi.example.internal/simple" in pip_conf
    assert "cert = /run/secrets/ca_bundle" in pip_conf
    npmrc = (out / "npmrc").read_text().splitlines()
    assert npmrc == ["registry=https://npm.example.internal/", "//npm.example.internal/:_authToken=npm-s3cret",
                     "cafile=/run/secrets/ca_bundle"]
    assert (out / "ca_bundle").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert all(oct(path.stat().st_mode)[-3:] == "600" for path in out.iterdir())


def test_a_local_file_index_is_left_out_because_the_build_cannot_see_this_disk(tmp_path, monkeypatch, capsys):
    out = run(tmp_path, monkeypatch,
              "[global]\nextra-index-url = file:///opt/pypi/simple https://mirror.example.internal/simple\n")
    assert "extra-index-url = https://mirror.example.internal/simple\n" in (out / "pip_conf").read_text()
    assert "file:///opt/pypi/simple: a local index" in capsys.readouterr().out
