# One image for the Rasa server and the action server (the same Python 3.10 environment);
# docker-compose.yml runs it twice with different commands.
FROM python:3.10-slim
WORKDIR /app
ENV TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONUNBUFFERED=1
COPY requirements/bot.lock requirements/bot.lock
RUN pip install --no-cache-dir pip==24.0 && pip install --no-cache-dir -r requirements/bot.lock && pip check
COPY . .
RUN python -m bot.i18n.compile && python -m bot.nlu.blank_model \
    && rasa train --out models --fixed-model-name family-guide
RUN useradd --create-home bot && chown -R bot /app
USER bot
