# syntax=docker/dockerfile:1
# The Polarity service image: the installed package, run as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system polarity \
    && useradd --system --gid polarity --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin polarity

# Build from a scratch copy of the sources and drop it once installed, so the
# running service imports only the installed packages. README* is a wildcard so
# the build works whether or not the README that pyproject.toml names exists yet.
# The dependencies are exactly those uv.lock pins, checked against their recorded hashes
# (--locked refuses a lock that disagrees with pyproject.toml); then the package itself.
WORKDIR /src
COPY pyproject.toml uv.lock README* ./
RUN pip install uv==0.13.9 \
    && uv export --locked --no-dev --no-emit-project --format requirements-txt -o requirements.txt \
    && pip install --require-hashes -r requirements.txt \
    && pip uninstall -y uv
COPY domain ./domain
COPY service ./service
COPY projections ./projections
COPY schema ./schema
COPY portal ./portal
RUN pip install --no-deps . && rm -rf /src

# Working directory of the service; var/ holds the embedded server's data when
# POLARITY_DATABASE_URL is unset.
WORKDIR /app
RUN mkdir -p /app/var && chown -R polarity:polarity /app

USER polarity

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

CMD ["polarity", "serve", "--host", "0.0.0.0", "--port", "8000"]
