# syntax=docker/dockerfile:1
# The intake bot: a build stage turns the project into wheels, a slim runtime installs them and
# runs as an unprivileged user. Nothing that compiles (no gcc, no headers) reaches the runtime.
#
#   docker build -t intake-bot .
#   docker run --rm intake-bot keys generate
#
# Lint: `hadolint --failure-threshold warning Dockerfile` (scripts/test runs it).
# Refresh the pinned base image (both stages) when Python 3.11 gets a security release.

# --- build: the project's wheel and the wheels of everything it depends on -----------------------
FROM python:3.11.15-slim-trixie AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY casework ./casework
COPY dialogs ./dialogs
COPY storage ./storage
COPY locales ./locales
COPY localapi ./localapi
COPY web ./web
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# --- runtime ---------------------------------------------------------------------------------------
FROM python:3.11.15-slim-trixie AS runtime
LABEL org.opencontainers.image.title="intake-bot" \
      org.opencontainers.image.description="Anonymous Telegram intake bot" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INTAKE_DATA_DIR=/data \
    INTAKE_HEALTH_LISTEN=0.0.0.0 \
    INTAKE_WEBHOOK_LISTEN=0.0.0.0

# An unprivileged user with a fixed uid/gid (so volume ownership is predictable), no login shell.
RUN groupadd --system --gid 10001 intake \
    && useradd --system --no-log-init --uid 10001 --gid intake \
        --home-dir /data --shell /usr/sbin/nologin intake \
    && mkdir -p /data \
    && chown intake:intake /data \
    && chmod 0700 /data

# The wheels are bind-mounted from the build stage, so no layer of the image keeps them. Only
# prebuilt wheels are installed (--no-index): nothing is fetched or compiled here.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --root-user-action=ignore \
        --find-links=/wheels /wheels/intake_bot-*.whl

# Fail the build when the shipped questionnaire is broken or any language lacks a text it needs
# (the same checks the bot makes at start), and when the console script cannot start.
RUN python -c "import sys; from dialogs.spec import load, missing_texts; from locales.translator import Translator; spec = load(); texts = Translator.load(); missing = missing_texts(spec, {lang: texts.keys(lang) for lang in texts.languages}); sys.exit('questionnaire texts missing: ' + ', '.join(missing) if missing else 0)" \
    && intake-bot --help >/dev/null

USER 10001:10001
WORKDIR /data

# 8080: GET /healthz and /metrics (INTAKE_HEALTH_PORT; 0 disables them).
# 8443: the webhook (INTAKE_WEBHOOK_PORT), used only when INTAKE_WEBHOOK_URL is set.
EXPOSE 8080 8443

# Healthy when /healthz answers 200 (database, Redis and the Bot API reachable). With the
# health server disabled (INTAKE_HEALTH_PORT=0) there is nothing to ask, so it reports healthy.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('INTAKE_HEALTH_PORT') or '8080'; port == '0' and sys.exit(0); urllib.request.urlopen('http://127.0.0.1:' + port + '/healthz', timeout=18).close()"]

ENTRYPOINT ["intake-bot"]
CMD ["run"]
