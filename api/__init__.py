"""The api service: the public edge (FastAPI) in front of Rasa, on its own Python 3.11+
environment (.venv/api). It validates channel traffic, keeps consent state, maps phone
numbers to pseudonymous contact ids and shapes replies for each channel."""
