#!/bin/sh
# Run by the postgres image on the first start of an empty data volume only (files in
# /docker-entrypoint-initdb.d): Rasa's tracker store gets its own role and database, so
# the api's tables and Rasa's conversations do not share credentials. On a volume made
# before this script existed, run the two statements below once by hand.
# The password comes from RASA_DB_PASSWORD (psql quotes it: :'rasa_password').
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set rasa_password="$RASA_DB_PASSWORD" <<'SQL'
CREATE ROLE rasa LOGIN PASSWORD :'rasa_password';
CREATE DATABASE rasa OWNER rasa;
SQL
