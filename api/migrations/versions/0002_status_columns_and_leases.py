"""status columns sized for their values, checked; leases on claimed work

Every status/kind/reason column is as long as its longest allowed value and refuses any
other (CHECK constraints named ck_<table>_<column>); the Twilio status columns get room for
"partially_delivered" and what Twilio may add. Claimed turns and scheduled messages get a
lease (lease_expires_at; claimed_at on scheduled messages) so only stale work is recovered.
The values are copied here, not imported: a migration must not change when the models do.

`contacts` is not touched: on SQLite, batch mode copies a table and drops the old one, and
dropping `contacts` there would cascade-delete every row that refers to it.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import api.core.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

INBOUND_STATUSES = ("received", "processing", "pending_retry", "answered", "failed",
                    "consent", "help", "plan_list", "ignored_opted_out")
SCHEDULED_KINDS = ("reminder_day_before", "reminder_two_hours", "followup_step8", "followup_step9", "followup_step10")
OUTBOUND_KINDS = ("reply", "apology", "consent", "help", "plan_list") + SCHEDULED_KINDS
VIAS = ("twiml", "rest")
SCHEDULED_STATUSES = ("pending", "sending", "sent", "skipped", "cancelled", "failed")
SCHEDULED_REASONS = ("too_late", "quiet_hours", "weekly_cap", "rescheduled", "opted_out", "send_failed", "interrupted")
TWILIO_STATUS_LENGTH = 32


def _longest(values) -> int:
    return max(len(value) for value in values)


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _check(batch_op, table: str, column: str, values) -> None:
    # op.f: the name is final (the models' naming convention must not prefix it again).
    batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), sa.text(_one_of(column, values)))


def upgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=_longest(INBOUND_STATUSES)), existing_nullable=False)
        batch_op.add_column(sa.Column('lease_expires_at', api.core.models.UTCDateTime(timezone=True), nullable=True))
        _check(batch_op, 'inbound_messages', 'status', INBOUND_STATUSES)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=24),
                              type_=sa.String(length=_longest(OUTBOUND_KINDS)), existing_nullable=False)
        batch_op.alter_column('via', existing_type=sa.String(length=8),
                              type_=sa.String(length=_longest(VIAS)), existing_nullable=False)
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=TWILIO_STATUS_LENGTH), existing_nullable=False)
        _check(batch_op, 'outbound_messages', 'kind', OUTBOUND_KINDS)
        _check(batch_op, 'outbound_messages', 'via', VIAS)

    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=TWILIO_STATUS_LENGTH), existing_nullable=False)

    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=sa.String(length=32),
                              type_=sa.String(length=_longest(SCHEDULED_KINDS)), existing_nullable=False)
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=_longest(SCHEDULED_STATUSES)), existing_nullable=False)
        batch_op.alter_column('reason', existing_type=sa.String(length=32),
                              type_=sa.String(length=_longest(SCHEDULED_REASONS)), existing_nullable=True)
        batch_op.add_column(sa.Column('claimed_at', api.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', api.core.models.UTCDateTime(timezone=True), nullable=True))
        _check(batch_op, 'scheduled_messages', 'kind', SCHEDULED_KINDS)
        _check(batch_op, 'scheduled_messages', 'status', SCHEDULED_STATUSES)
        _check(batch_op, 'scheduled_messages', 'reason', SCHEDULED_REASONS)


def downgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        for column in ('reason', 'status', 'kind'):
            batch_op.drop_constraint(op.f(f'ck_scheduled_messages_{column}'), type_='check')
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('claimed_at')
        batch_op.alter_column('reason', existing_type=sa.String(length=_longest(SCHEDULED_REASONS)),
                              type_=sa.String(length=32), existing_nullable=True)
        batch_op.alter_column('status', existing_type=sa.String(length=_longest(SCHEDULED_STATUSES)),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.alter_column('kind', existing_type=sa.String(length=_longest(SCHEDULED_KINDS)),
                              type_=sa.String(length=32), existing_nullable=False)

    with op.batch_alter_table('status_events', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=TWILIO_STATUS_LENGTH),
                              type_=sa.String(length=16), existing_nullable=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbound_messages_via'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbound_messages_kind'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=TWILIO_STATUS_LENGTH),
                              type_=sa.String(length=16), existing_nullable=False)
        batch_op.alter_column('via', existing_type=sa.String(length=_longest(VIAS)),
                              type_=sa.String(length=8), existing_nullable=False)
        batch_op.alter_column('kind', existing_type=sa.String(length=_longest(OUTBOUND_KINDS)),
                              type_=sa.String(length=24), existing_nullable=False)

    # Fails on PostgreSQL while a row holds a status longer than 16 characters
    # ("ignored_opted_out"): the old column cannot store it.
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inbound_messages_status'), type_='check')
        batch_op.drop_column('lease_expires_at')
        batch_op.alter_column('status', existing_type=sa.String(length=_longest(INBOUND_STATUSES)),
                              type_=sa.String(length=16), existing_nullable=False)
