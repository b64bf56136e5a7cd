# syntax=docker/dockerfile:1
# Build a wheel, then install it into a slim runtime that runs as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
COPY locales ./locales
RUN pip install --no-cache-dir --upgrade pip==25.3 \
    && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    INTAKE_DATA_DIR=/data
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin intake \
    && mkdir -p /data && chown intake /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && python -c "from dialogs.spec import load; from locales.translator import Translator; load(); Translator.load()"
USER intake
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["intake-bot"]
CMD ["run"]
