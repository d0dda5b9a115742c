# One image for the Rasa server and the action server (the same Python 3.10 environment);
# docker-compose.yml runs it twice with different commands. It holds the runtime packages
# only (requirements/bot.lock; the test and lint tools are in bot-dev.lock) and only what
# Rasa and the actions read: the build context is an allowlist (.dockerignore).
FROM python:3.10-slim
WORKDIR /app
ENV TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONUNBUFFERED=1
COPY requirements/bot.lock requirements/bot.lock
RUN pip install --no-cache-dir pip==24.0 && pip install --no-cache-dir -r requirements/bot.lock && pip check
COPY config.yml credentials.yml domain.yml endpoints.docker.yml ./
COPY data data
COPY locales locales
COPY bot bot
COPY actions actions
# The training cache (.rasa/) is not needed to serve the model.
RUN python -m bot.i18n.compile && python -m bot.nlu.blank_model \
    && rasa train --out models --fixed-model-name family-guide && rm -rf .rasa
# The code stays root's; the service user writes only var/ (local databases, when not PostgreSQL).
RUN useradd --create-home --uid 1000 bot && mkdir -p var && chown -R bot var
USER bot
