# One image for the LTC portal's web (gunicorn), worker (celery) and beat (celery beat) processes.
#   docker build -t ltc-portal .
# The default command serves the web app; docker-compose.yml overrides it for worker and beat.

# --- front-end assets: bootstrap, htmx, chart.js from npm (package-lock.json) -------------------
# Node.js and npm come from the Debian packages and stay in this stage: the runtime image only
# needs node_modules, which whitenoise serves through STATICFILES_DIRS.
FROM python:3.11-slim AS assets
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- runtime -------------------------------------------------------------------------------------
FROM python:3.11-slim

# PYTHONPATH: the code in /app (next to templates/, static/, locale/ and node_modules/) is imported
# before the copy `pip install .` puts in site-packages, as settings.BASE_DIR comes from settings.py's path.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=ltc_portal.settings

WORKDIR /app

# Python dependencies first (a layer that changes only with pyproject.toml), without dev extras.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --from=assets /assets/node_modules /app/node_modules
COPY . .

# The project itself (dependencies are already there), then the static files, collected at build
# time with a throw-away key: settings refuse the built-in development key when DEBUG is off.
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput -v0

# Run as an unprivileged user; only media/ (MEDIA_ROOT) is writable.
RUN groupadd --system ltc \
    && useradd --system --gid ltc --home-dir /app --no-create-home --shell /usr/sbin/nologin ltc \
    && mkdir -p /app/media \
    && chown ltc:ltc /app/media
USER ltc

EXPOSE 8000
CMD ["gunicorn", "ltc_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
