# One image for every process: web (the default CMD), `celery -A worker worker`,
# `celery -A worker beat` and `flask --app ngo db upgrade`. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (PDF receipts and reports, coming later) loads Pango and HarfBuzz at run time and
# needs at least one font; installing them now keeps that change out of the Dockerfile.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 ngo \
    && useradd --system --uid 10001 --gid ngo --home-dir /var/lib/ngo --shell /usr/sbin/nologin ngo

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: the runtime lock's exact
# versions, each checked against its hash (`make lock` writes it from pyproject.toml's ranges).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
# Catalogues are compiled before the install so the installed package carries the .mo files
# (they are not committed); --use-fuzzy matches the Makefile, so the image shows what
# `make run` shows.
RUN pybabel compile --use-fuzzy -d ngo/translations -D messages \
    && pip install --no-deps . \
    && python -m compileall -q ngo worker migrations

# The source tree stays in /app, the working directory: create_app finds the Alembic scripts
# at ../migrations next to the ngo package, which the wheel does not carry. flask, gunicorn
# and celery all put the working directory first on sys.path, so every process imports this
# copy, identical to the installed one.

# SQLite files (if any), the file outbox and celery beat's schedule. Owned by the app user and
# closed to everyone else (0700), so a fresh named volume inherits both.
ENV NGO_INSTANCE_PATH=/var/lib/ngo \
    NGO_ENV=production \
    WEB_CONCURRENCY=2
RUN mkdir -p /var/lib/ngo && chown ngo:ngo /var/lib/ngo && chmod 0700 /var/lib/ngo
VOLUME ["/var/lib/ngo"]

USER 10001:10001
EXPOSE 8000

# Worker class and count come from bench/gunicorn_workers.py (see bench/README.md);
# WEB_CONCURRENCY sets the number of workers. --worker-tmp-dir: the heartbeat file on
# tmpfs, because a container's overlay filesystem can stall it and get workers killed.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-", "ngo:create_app()"]
