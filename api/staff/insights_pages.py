"""The insights page (charts drawn by the vendored Chart.js from the data table beside
each one: the table is the figure, the chart its picture) and the CSV export of the
summaries a list shows (no phone number, no transcript, no parent's own words)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select

from api.core.i18n import text
from api.core.models import Conversation, utcnow
from api.deps import ServicesDep
from api.services import Services
from api.staff import insights, queries, record
from api.staff.audit import record_audit
from api.staff.conversation_pages import school_name
from api.staff.web import PREFIX, Staff, StaffDep, language_of, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
CSV_COLUMNS = ("conversation", "channel", "language", "school_code", "school", "grade_band", "needs", "pillar",
               "priority", "plan_made", "meeting_at", "steps_done", "invitation_sent", "guide_shared",
               "workshop_requested", "asked_for_person", "crisis", "repeated_misunderstanding", "opted_out",
               "delivery_failures", "status", "started_at", "last_activity_at")
EXPORT_BATCH = 2000


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, services: ServicesDep, staff: StaffDep) -> HTMLResponse:
    today = utcnow().astimezone(services.settings.zone).date()
    period = insights.Period.from_query(request.query_params, today)
    with services.sessions() as db:
        figures = insights.compute(db, staff.user, period, services.settings.zone)
    language = language_of(request, staff)
    return render(request, "insights.html", language, staff, period=period, figures=figures,
                  charts=charts(figures, language))


def charts(figures: insights.Insights, language: str) -> list[dict[str, Any]]:
    """Each chart's title, kind and data table (first column the labels), in `language`."""
    def t(key: str, **values: Any) -> str:
        return text(f"staff.{key}", language, **values)

    def named(prefix: str, code: str | None) -> str:
        return t(prefix + code) if code else t("not_known")

    channels = ("sms", "whatsapp", "web")
    return [
        {"chart_id": "weekly", "kind": "stacked", "title": t("chart_weekly"),
         "headings": [t("week")] + [t("channel_" + c) for c in channels],
         "rows": [(week.isoformat(), [counts.get(c, 0) for c in channels]) for week, counts in figures.weekly]},
        {"chart_id": "languages", "kind": "bar", "title": t("chart_languages"),
         "headings": [t("language"), t("conversations_count")],
         "rows": [(named("language_", code), [count]) for code, count in figures.languages]},
        {"chart_id": "pillars", "kind": "bar", "title": t("chart_pillars"),
         "headings": [t("pillar"), t("conversations_count")],
         "rows": [(named("pillar_", code), [count]) for code, count in figures.pillars]},
        {"chart_id": "priorities", "kind": "bar", "title": t("chart_priorities"),
         "headings": [t("priority"), t("conversations_count")],
         "rows": [(code, [count]) for code, count in figures.priorities]},
        {"chart_id": "funnel", "kind": "bar", "title": t("chart_funnel"),
         "headings": [t("step"), t("conversations_count")],
         "rows": [(t("step_n", step=step), [count]) for step, count in figures.funnel]},
        {"chart_id": "workshops", "kind": "bar", "title": t("chart_workshops"),
         "headings": [t("school"), t("requests")],
         "rows": [(school_name(code) or t("school_unknown"), [count]) for code, count in figures.workshops]},
        {"chart_id": "handoffs", "kind": "bar", "title": t("chart_handoffs"),
         "headings": [t("reason"), t("handoffs_count")],
         "rows": [(t("reason_" + reason), [count]) for reason, count in sorted(figures.handoffs["by_reason"].items())]},
        {"chart_id": "reach", "kind": "bar", "title": t("chart_reach"),
         "headings": [t("school_and_language"), t("conversations_count"), t("flag_opted_out"),
                      t("flag_delivery_failures")],
         "rows": [(f"{school_name(code) or t('school_unknown')} · {named('language_', lang)}", [count, opted, failed])
                  for code, lang, count, opted, failed in figures.reach]},
    ]


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(services: Services, staff: Staff, filters: queries.Filters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    query = (select(Conversation).where(*queries.conditions(staff.user, filters, services.settings.zone))
             .order_by(*queries.SORTS[filters.sort], Conversation.contact_id))
    with services.sessions() as db:
        for row in db.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
            writer.writerow([spreadsheet_safe(value) for value in (
                row.contact_id, row.channel, row.language, row.school_code, school_name(row.school_code),
                row.grade_band, " ".join(row.needs or []), row.pillar, row.priority, row.plan_ready,
                row.meeting_at.isoformat() if row.meeting_at else None,
                " ".join(map(str, record.steps_of(row.steps_done))), row.invitation_sent, row.guide_shared,
                row.workshop_requested, row.handoff_requested, row.safety_flag, row.misunderstood, row.opted_out,
                row.delivery_failures, row.status, row.started_at.isoformat(), row.last_activity_at.isoformat())])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


@router.get("/export.csv")
def export(request: Request, services: ServicesDep, staff: StaffDep) -> StreamingResponse:
    filters = queries.Filters.from_query(request.query_params)
    with services.sessions() as db:
        count = queries.conversation_page(db, staff.user, filters, services.settings.zone).total
        record_audit(db, staff.user.id, "export", detail={"rows": count})
        db.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(csv_rows(services, staff, filters), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="conversations-{stamp}.csv"'})
