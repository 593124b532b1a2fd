"""The Dockerfile's static properties, checked against the real CLI. scripts/image-check.sh builds and runs it."""

import json
import re

from service.cli import build_parser
from service.config import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def global_args() -> dict[str, str]:
    """The ARGs before the first FROM (the base images), with their defaults."""
    args = {}
    for keyword, rest in instructions():
        if keyword == "FROM":
            break
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
    return args


def stages() -> list[list[tuple[str, str]]]:
    """Each stage's instructions; a FROM naming a global ARG is shown with the ARG's default."""
    found: list[list[tuple[str, str]]] = []
    defaults = global_args()
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
            rest = re.sub(r"\$\{(\w+)\}", lambda match: defaults[match.group(1)], rest)
        if found:
            found[-1].append((keyword, rest))
    return found


def only(keyword: str, stage) -> str:
    [value] = [rest for key, rest in stage if key == keyword]
    return value


def test_assets_are_built_with_npm_in_their_own_stage_and_only_the_build_is_copied():
    assets, runtime = stages()
    assert only("FROM", assets).startswith("node:") and only("FROM", assets).endswith(" AS assets")
    assert any(key == "RUN" and "npm ci" in rest for key, rest in assets)
    assert only("FROM", runtime).startswith("python:3.11-slim")
    copies = [rest for key, rest in runtime if key == "COPY" and rest.startswith("--from=assets")]
    assert copies == ["--from=assets /build/node_modules/govuk-frontend/dist ./node_modules/govuk-frontend/dist"]


def test_the_runtime_runs_as_a_user_that_is_not_root():
    runtime = stages()[-1]
    user = only("USER", runtime)
    assert user not in ("root", "0", "0:0")
    assert any(key == "RUN" and "useradd" in rest and user in rest for key, rest in runtime)
    # USER comes after every step that installs or copies, so nothing runs as root at run time.
    keys = [key for key, _ in runtime]
    assert keys.index("USER") > max(i for i, key in enumerate(keys) if key in ("RUN", "COPY"))


def test_the_healthcheck_asks_healthz_without_curl():
    check = only("HEALTHCHECK", stages()[-1])
    assert "CMD" in check and "/healthz" in check and "urllib.request" in check
    assert "curl" not in check and "wget" not in check
    json.loads(check.split("CMD", 1)[1])  # exec form: no shell needed


def test_the_entry_point_is_the_operator_command_line_and_the_default_is_a_web_process():
    runtime = stages()[-1]
    assert json.loads(only("ENTRYPOINT", runtime)) == ["encompass"]
    command = json.loads(only("CMD", runtime))
    assert command[0] == "serve"
    args = build_parser().parse_args(command)  # the real CLI accepts exactly these arguments
    assert (args.host, args.port, args.no_worker) == ("0.0.0.0", 8000, True)
    assert only("EXPOSE", runtime) == "8000"


def test_the_image_starts_in_production_mode_so_unsafe_settings_are_refused():
    assert "ENVIRONMENT=production" in only("ENV", stages()[-1])


def test_everything_the_image_copies_exists_and_is_not_ignored():
    runtime = stages()[-1]
    ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for key, rest in runtime + stages()[0]:
        if key != "COPY" or rest.startswith("--from="):
            continue
        *sources, _target = rest.split()
        for source in sources:
            assert (REPO_ROOT / source).exists(), source
            assert source not in ignored, source


def test_the_base_images_are_build_arguments_whose_defaults_are_the_public_images():
    assert global_args() == {"PYTHON_IMAGE": "python:3.11-slim", "ASSETS_IMAGE": "node:22-bookworm-slim"}
    froms = [rest for key, rest in instructions() if key == "FROM"]
    assert froms == ["${ASSETS_IMAGE} AS assets", "${PYTHON_IMAGE} AS runtime"]


def test_package_index_settings_and_ca_bundles_come_in_as_build_secrets_never_as_args_or_env():
    every = instructions()
    # Build args and ENV are kept in the image's history and config; secrets are mounted for one step only.
    for key, rest in every:
        if key in ("ARG", "ENV", "LABEL"):
            for word in ("INDEX", "CERT", "CA_BUNDLE", "CAFILE", "REGISTRY", "TOKEN", "PROXY"):
                assert word not in rest.upper(), (key, rest)
    installs = [rest for key, rest in every if key == "RUN" and ("npm ci" in rest or "pip install" in rest)]
    assert len(installs) == 2
    for rest in installs:
        assert "--mount=type=secret,id=ca_bundle" in rest
    assert not any(key in ("COPY", "ADD") and ("secrets" in rest or "pip.conf" in rest or "npmrc" in rest)
                   for key, rest in every)


def test_the_build_context_leaves_out_tests_history_local_settings_and_keys():
    ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", "tests", "node_modules", ".venv", ".env", "*.env", ".npmrc", "pip.conf", "*.pem", "*.key"} <= ignored
