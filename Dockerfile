# syntax=docker/dockerfile:1
# One image for every role: `serve`, `worker`, `tick` and `migrate` (the CMD is `serve`;
# compose and ECS pass the others as the command).
#
# Base images are pinned by digest, so a rebuild gets the same bytes until someone moves
# the pin on purpose. To refresh (say monthly, or for a CVE in the base):
#   docker buildx imagetools inspect node:20-bookworm-slim --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect python:3.11-slim-bookworm --format '{{json .Manifest.Digest}}'
# then replace the sha256 below, build, and run `make deploy-check` (hadolint). The digests
# here were copied from public Dockerfiles on a machine without registry access: check
# them with the commands above before the first build.
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

# ---- 1. The web app, built by Node into infrasync/web_dist -------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
# The lock file alone first: the npm ci layer is reused until dependencies change.
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- 2. The Python package and its dependencies, into a venv -----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/infrasync
WORKDIR /src
COPY pyproject.toml README.md LICENSE hatch_build.py ./
COPY infrasync/ infrasync/
# The built web app; with no web/ here, the wheel hook does not call npm (hatch_build.py).
COPY --from=web /src/infrasync/web_dist/ infrasync/web_dist/
# [aws]: boto3, for INFRASYNC_SSM_PREFIX (settings from SSM Parameter Store on AWS).
# awslambdaric: the same image runs `tick` in AWS Lambda (deploy/aws, the tick schedule).
RUN /opt/infrasync/bin/pip install '.[aws]' awslambdaric==4.2.2 \
    && /opt/infrasync/bin/python -c "import infrasync.cli, infrasync.aws.lambda_handler"

# ---- 3. The runtime: the venv, a non-root user, nothing else -----------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Infrasync" \
      org.opencontainers.image.source="https://github.com/infrasync/infrasync" \
      org.opencontainers.image.licenses="MIT"
# A fixed uid/gid, so volume permissions and Kubernetes' runAsNonRoot can name it.
RUN groupadd --system --gid 10001 infrasync \
    && useradd --system --uid 10001 --gid infrasync --home-dir /app --create-home \
       --shell /usr/sbin/nologin infrasync
COPY --from=build /opt/infrasync /opt/infrasync
# No secrets here or in any layer: every setting comes from the environment at run time
# (compose's .env, ECS `secrets` from SSM, or INFRASYNC_SSM_PREFIX).
ENV PATH=/opt/infrasync/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    INFRASYNC_LOG_FORMAT=json
# The working directory holds ./.infrasync (SQLite and generated keys when no database
# URL and keys are given): owned by the app's user.
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Liveness only (/health touches no database); load balancers check /ready instead.
# Python's urllib: the slim image has no curl, and adding one adds a package to patch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["infrasync"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]
