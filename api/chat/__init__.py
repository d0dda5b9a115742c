"""The web-chat door: the JSON api the widget on a school's website talks to (routes.py),
its turns to the bot (door.py, sharing api/core/turns.py with SMS), its sessions and
transcripts (store.py), the wake-ups of waiting long polls (arrivals.py), and the edge
every request passes (guard.py: allowed origins and CORS, rate limits; errors.py: one
error shape). The widget's script, strings and demo pages are served by pages.py."""
