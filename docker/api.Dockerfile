# The api (FastAPI edge: Twilio webhooks, plan pages, reminders) on Python 3.11, in its own
# environment: FastAPI needs pydantic 2 and SQLAlchemy 2, which Rasa 3.6 cannot share.
# It uses the pure-Python parts of bot/ (i18n, meeting-time formatting) and the catalogs.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1
COPY requirements/api.lock requirements/api.lock
RUN pip install --no-cache-dir -r requirements/api.lock && pip check
COPY api api
COPY bot/__init__.py bot/meeting_time.py bot/
COPY bot/i18n bot/i18n
COPY locales locales
RUN python -m bot.i18n.compile
RUN useradd --create-home api && mkdir -p var && chown -R api /app
USER api
EXPOSE 8000
# Migrations first (the template's prestart), then the server; behind a TLS proxy.
CMD ["sh", "-c", "python -m api.prestart && uvicorn --factory api.main:create_app --host 0.0.0.0 --port 8000 --proxy-headers --forwarded-allow-ips='*' --no-access-log"]
