# The Operation Encompass notification service: one image for web processes, workers and operator commands.
#   docker build -t encompass .                                    (or: podman build -t encompass .)
#   docker run --env-file prod.env encompass db upgrade          # once per release, before new web processes
#   docker run --env-file prod.env -p 8000:8000 encompass        # a web process (serve --no-worker)
#   docker run --env-file prod.env encompass worker run          # an alert worker
# Settings come from the environment; production refuses to start with unsafe ones.
#
# Base images are build arguments so a machine that cannot reach an image hub can build from its own copies
# (scripts/image-check.sh makes them from Debian packages). Any Debian-based image with Python 3.11 (`python3`,
# with the venv module) and one with Node.js and npm will do.
#
# A network that needs its own package index or CA bundle passes them as build secrets, which are mounted for one
# RUN step and never stored in a layer (scripts/image-check.sh does this from the machine's own settings):
#   --secret id=ca_bundle,src=/path/to/ca.pem   --secret id=pip_conf,src=pip.conf   --secret id=npmrc,src=.npmrc
ARG PYTHON_IMAGE=python:3.11-slim
ARG ASSETS_IMAGE=node:22-bookworm-slim

# Stage 1: front-end assets from the npm registry (GOV.UK Frontend). Only its built files go into the image.
FROM ${ASSETS_IMAGE} AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca_bundle --mount=type=secret,id=npmrc \
    if [ -s /run/secrets/ca_bundle ]; then \
      export NODE_EXTRA_CA_CERTS=/run/secrets/ca_bundle npm_config_cafile=/run/secrets/ca_bundle; fi \
 && if [ -s /run/secrets/npmrc ]; then export NPM_CONFIG_USERCONFIG=/run/secrets/npmrc; fi \
 && npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf /root/.npm

# Stage 2: the Python runtime.
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    ENVIRONMENT=production
WORKDIR /app
RUN groupadd --system --gid 10001 encompass \
 && useradd --system --uid 10001 --gid encompass --home-dir /app --no-create-home --shell /usr/sbin/nologin encompass
COPY pyproject.toml alembic.ini ./
COPY service ./service
COPY alembic ./alembic
COPY templates ./templates
COPY config ./config
COPY static ./static
# Editable install into a virtual environment: the service finds alembic/, templates/ and node_modules/ beside its
# own source in /app, and the system Python stays untouched.
RUN --mount=type=secret,id=ca_bundle --mount=type=secret,id=pip_conf \
    if [ -s /run/secrets/ca_bundle ]; then export PIP_CERT=/run/secrets/ca_bundle; fi \
 && if [ -s /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi \
 && python3 -m venv /opt/venv \
 && pip install -e . \
 && find /opt/venv /app -name __pycache__ -prune -exec rm -rf {} +
COPY --from=assets /build/node_modules/govuk-frontend/dist ./node_modules/govuk-frontend/dist

# Everything above belongs to root: the service user can run the code but not change it.
USER encompass
EXPOSE 8000
# PORT (default 8000) lets the check follow a web process started on another port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"]
ENTRYPOINT ["encompass"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker", "--no-migrate"]
