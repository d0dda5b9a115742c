"""outbound retries: replies Twilio could not take wait for another try; sends counted

`outbound_retries` keeps the parts of a reply Twilio could not take (it answered 429 or
5xx, or could not be reached), to be sent again in order with backoff, claimed under a
lease like `scheduled_messages`; purged with its contact. A scheduled message counts its
failed sends (`attempts`) and may wait for a retry ("send_retry") or have failed without
Twilio's answer ("unconfirmed"); an outbound message says why it failed (`failure`).
Only `outbound_messages` and `scheduled_messages` change (copied on SQLite, like 0002);
`contacts` is not touched. The values are copied here, not imported.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import api.core.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OUTBOUND_FAILURES = ("refused", "unconfirmed", "gave_up")
RETRY_KINDS = ("reply", "apology")
RETRY_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
RETRY_REASONS = OUTBOUND_FAILURES + ("opted_out", "no_address")
OLD_SCHEDULED_REASONS = ("too_late", "quiet_hours", "weekly_cap", "rescheduled", "opted_out", "send_failed",
                         "interrupted")
# As long as the longest old one: the column keeps its length.
SCHEDULED_REASONS = OLD_SCHEDULED_REASONS + ("send_retry", "unconfirmed")


def _longest(values) -> int:
    return max(len(value) for value in values)


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _check(table: str, column: str, values) -> sa.CheckConstraint:
    # op.f: the name is final (the models' naming convention must not prefix it again).
    return sa.CheckConstraint(_one_of(column, values), name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table('outbound_retries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=_longest(RETRY_KINDS)), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=True),
    sa.Column('waits_out_quiet_hours', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=_longest(RETRY_STATUSES)), nullable=False),
    sa.Column('reason', sa.String(length=_longest(RETRY_REASONS)), nullable=True),
    sa.Column('created_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    _check('outbound_retries', 'kind', RETRY_KINDS),
    _check('outbound_retries', 'status', RETRY_STATUSES),
    _check('outbound_retries', 'reason', RETRY_REASONS)
    )
    with op.batch_alter_table('outbound_retries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_retries_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_outbound_retries_due', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=_longest(OUTBOUND_FAILURES)), nullable=True))
        batch_op.create_check_constraint(op.f('ck_outbound_messages_failure'),
                                         sa.text(_one_of('failure', OUTBOUND_FAILURES)))

    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint(op.f('ck_scheduled_messages_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scheduled_messages_reason'),
                                         sa.text(_one_of('reason', SCHEDULED_REASONS)))


def downgrade() -> None:
    # Rows waiting for a retry lose their reason on the way down (the old schema had none).
    op.execute(sa.text("UPDATE scheduled_messages SET reason = NULL WHERE reason IN ('send_retry', 'unconfirmed')"))
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scheduled_messages_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scheduled_messages_reason'),
                                         sa.text(_one_of('reason', OLD_SCHEDULED_REASONS)))
        batch_op.drop_column('attempts')

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbound_messages_failure'), type_='check')
        batch_op.drop_column('failure')

    with op.batch_alter_table('outbound_retries', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_retries_due')
        batch_op.drop_index(batch_op.f('ix_outbound_retries_contact_id'))
    op.drop_table('outbound_retries')
