# The Operation Encompass notification service: one image for web processes, workers and operator commands.
#   docker build -t encompass .
#   docker run --env-file prod.env encompass db upgrade          # once per release, before new web processes
#   docker run --env-file prod.env -p 8000:8000 encompass        # a web process (serve --no-worker)
#   docker run --env-file prod.env encompass worker run          # an alert worker
# Settings come from the environment; production refuses to start with unsafe ones.

# Stage 1: front-end assets from the npm registry (GOV.UK Frontend). Only its built files go into the image.
FROM node:22-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# Stage 2: the Python runtime.
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
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
# Editable install: the service finds alembic/, templates/ and node_modules/ beside its own source in /app.
RUN pip install -e .
COPY --from=assets /build/node_modules/govuk-frontend/dist ./node_modules/govuk-frontend/dist

# Everything above belongs to root: the service user can run the code but not change it.
USER encompass
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["encompass"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker", "--no-migrate"]
