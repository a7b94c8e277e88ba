# syntax=docker/dockerfile:1
# phdsupport: one image for web (gunicorn), worker and beat (docker-compose.yml).

# Front-end libraries from the npm registry (package-lock.json); only their built files are kept.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# xmlsec1: pysaml2 signs and checks the federated sign-in's SAML messages with it.
RUN apt-get update && apt-get install -y --no-install-recommends xmlsec1 && rm -rf /var/lib/apt/lists/*
# Production dependencies only (requirements-dev.lock is for development and tests).
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
COPY --from=assets /build/node_modules ./node_modules
# Static files built with production settings: hashed names, compressed copies and the manifest
# that DEBUG=false needs. The key and cache address exist only for this command; nothing is
# connected to, and neither is kept in the image.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret CACHE_URL=redis://collectstatic-only:6379/0 \
      python manage.py collectstatic --noinput -v0 \
    && rm -rf node_modules
# Run as an unprivileged user who can read the code but not change it.
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin phdsupport
USER phdsupport
EXPOSE 8000
# /healthz answers 200 when the database and the cache answer (phdsupport/middleware.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "phdsupport.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
