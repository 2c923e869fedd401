# Slim, non-root image of the decline service.
# Python 3.12 (a patch release at or after 3.12.5): earlier email packages decode RFC 2047 words
# into header line breaks (CVE-2024-6923). The service checks every header block it composes
# itself, so it is safe on older 3.11 too; the image simply does not start from a known bug.
FROM python:3.12-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md alembic.ini ./
RUN uv sync --frozen --no-dev --no-install-project
COPY service ./service
COPY alembic ./alembic
COPY templates ./templates
RUN uv sync --frozen --no-dev

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 decline && mkdir -p /data && chown decline /data
WORKDIR /app
COPY --from=build --chown=decline /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DECLINE_DATABASE_URL=sqlite:////data/decline.db \
    DECLINE_MAIL_CAPTURE_DIR=/data/mail-capture
USER decline
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["decline", "serve", "--host", "0.0.0.0", "--port", "8000"]
