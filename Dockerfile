FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm gettext && rm -rf /var/lib/apt/lists/*
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY package.json package-lock.json* ./
RUN if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; fi
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "phdsupport.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
