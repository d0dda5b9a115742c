"""Every router of the api, collected in one place."""
from fastapi import APIRouter

from api.routes import health, plan, twilio

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(twilio.router)
api_router.include_router(plan.router)
