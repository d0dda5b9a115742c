"""Every router of the api, collected in one place: one per door and feature."""
from fastapi import APIRouter

from api import health
from api.chat import pages as chat_pages
from api.chat import routes as chat
from api.core import metrics
from api.plans import routes as plans
from api.sms import webhook as sms
from api.staff import routes as staff

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(metrics.router)
api_router.include_router(sms.router)
api_router.include_router(plans.router)
api_router.include_router(chat.router)
api_router.include_router(chat_pages.router)
api_router.include_router(staff.router)
