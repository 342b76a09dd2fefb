# syntax=docker/dockerfile:1
#
# The Rapport image: `rapport` as the entry point, `serve` by default, listening on
# 0.0.0.0:8000 as an unprivileged user. Configure it with RAPPORT_* variables
# (docs/operations.md); RAPPORT_DATABASE_URL is required, since production never carries
# the embedded PostgreSQL.
#
#   docker build -t rapport:0.1.0 --build-arg VERSION=0.1.0 \
#     --build-arg REVISION="$(git rev-parse HEAD)" --build-arg CREATED="$(date -u +%FT%TZ)" .
#   docker run --rm -p 8000:8000 -e RAPPORT_DATABASE_URL=postgresql://… rapport:0.1.0
#   docker run --rm -e RAPPORT_DATABASE_URL=postgresql://… rapport:0.1.0 migrate
#
# Both stages use the same base, so the virtual environment built in the first one (its
# scripts name /opt/rapport/bin/python, a link to the base's interpreter) runs in the second.
# Pin the base by digest in your release pipeline if you rebuild rarely; the tag moves with
# Debian's security updates. PYTHON_IMAGE substitutes another base with the same layout
# (the interpreter at /usr/local/bin/python3, pip, no compiler): a mirror's copy, a digest,
# or the stand-in tests/deploy/local-base-image.sh builds where Docker Hub is out of reach.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# ---- build: resolve the locked dependencies and install the project as a wheel -----------
FROM ${PYTHON_IMAGE} AS build

# uv from PyPI, pinned; nothing else is installed in this stage, so a dependency without a
# wheel for this platform fails the build here instead of being compiled.
RUN python -m pip install --no-cache-dir --disable-pip-version-check uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/opt/rapport

WORKDIR /src

# The dependencies first, from uv.lock alone, so that a code change reuses this layer.
# --no-dev: no test tools; no --extra: the embedded PostgreSQL wheel is never installed.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY api ./api
COPY domain ./domain
COPY infrastructure ./infrastructure
COPY migrations ./migrations
# --no-editable: the project goes into the environment as a built wheel, so /src can stay
# behind in this stage.
RUN uv sync --frozen --no-dev --no-editable

# ---- runtime: the interpreter, the environment, an unprivileged user ----------------------
FROM ${PYTHON_IMAGE} AS runtime

# Declared again so that the label below can name the base this image was built from.
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""

LABEL org.opencontainers.image.title="rapport" \
      org.opencontainers.image.description="Headless CRM service: one GraphQL API for the single customer record, interactions, cases, loyalty and the partner alliance" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

# A fixed uid/gid so that Kubernetes' runAsUser and a volume's fsGroup can name it; no home,
# no shell, no password.
RUN groupadd --system --gid 10001 rapport \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin rapport

COPY --from=build /opt/rapport /opt/rapport

# Bytecode was compiled at build time, so nothing is written next to the code (the root
# filesystem may be read-only); logs go straight to stdout.
ENV PATH="/opt/rapport/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RAPPORT_ENV=production \
    RAPPORT_HOST=0.0.0.0 \
    RAPPORT_PORT=8000

USER 10001:10001
WORKDIR /tmp
EXPOSE 8000

# slim has no curl: the interpreter asks /healthz (urlopen raises on a refusal or a non-2xx).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('RAPPORT_PORT', '8000') + '/healthz', timeout=4)"]

ENTRYPOINT ["rapport"]
CMD ["serve"]
