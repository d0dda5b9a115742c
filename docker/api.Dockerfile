# The api (FastAPI edge: Twilio webhooks, plan pages, reminders) on Python 3.11, in its own
# environment: FastAPI needs pydantic 2 and SQLAlchemy 2, which Rasa 3.6 cannot share.
# It holds the runtime packages only (requirements/api.lock; the test and lint tools are
# in api-dev.lock), the pure bot modules it imports (i18n, meeting times, text, events, schools)
# installed as a package (pyproject.toml; bot/rasa is left out), and the catalogs.
FROM python:3.11-slim
WORKDIR /app
# The installed bot.i18n finds the catalogs here (there is no checkout around it).
ENV PYTHONUNBUFFERED=1 FGA_LOCALES_DIR=/app/locales
COPY requirements/api.lock requirements/api.lock
RUN pip install --no-cache-dir -r requirements/api.lock && pip check
COPY pyproject.toml /tmp/bot-package/
COPY bot /tmp/bot-package/bot
RUN pip install --no-cache-dir --no-deps /tmp/bot-package && pip check && rm -rf /tmp/bot-package
COPY locales locales
COPY api api
RUN python -m bot.i18n.compile
# The code stays root's; the service user writes only var/ (local databases, when not PostgreSQL).
RUN useradd --create-home --uid 1000 api && mkdir -p var && chown -R api var
USER api
EXPOSE 8000
# Migrations first (the template's prestart), then the server; behind a TLS proxy, whose
# address FORWARDED_ALLOW_IPS names (uvicorn reads it; see docker-compose.yml).
CMD ["sh", "-c", "python -m api.prestart && uvicorn --factory api.main:create_app --host 0.0.0.0 --port 8000 --proxy-headers --no-access-log"]
