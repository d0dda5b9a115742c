"""staff dashboard: conversation summaries, staff events, handoffs, accounts, sessions

One summary row per conversation (`conversations`, from what the bot hands over), the
staff events that used to be lines of var/staff_events.jsonl, handoffs and the messages of
held conversations, staff accounts with their schools, server-side sessions, sign-in
failures for throttling, notes and the audit log. Only new tables: `contacts` is not
touched (see 0003). The values are copied here, not imported.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import api.core.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

AUDIT_ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "second_factor_failed", "view_conversation", "reply",
                 "take_over", "hand_back", "change_status", "assign", "add_note", "export", "account_created",
                 "account_changed", "password_changed", "second_factor_enrolled", "purge")
STAFF_EVENT_TYPES = ("handoff_requested", "safety_flag", "workshop_requested", "meeting_scheduled",
                     "repeated_misunderstanding")


def _check(table: str, column: str, values) -> sa.CheckConstraint:
    # op.f: the name is final (the models' naming convention must not prefix it again).
    listed = ", ".join(repr(value) for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=7), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    _check('login_failures', 'kind', ('account', 'ip'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_key', ['kind', 'key', 'at'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=14), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('totp_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('totp_confirmed', sa.Boolean(), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    _check('staff_users', 'role', ('district_admin', 'school_staff')),
    sa.UniqueConstraint('email')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=22), nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    _check('audit_log', 'action', AUDIT_ACTIONS)
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'], unique=False)

    op.create_table('conversations',
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('school_code', sa.String(length=32), nullable=True),
    sa.Column('school_text', sa.String(length=200), nullable=True),
    sa.Column('grade_band', sa.String(length=16), nullable=True),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('pillar', sa.String(length=8), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=True),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('plan_ready', sa.Boolean(), nullable=False),
    sa.Column('meeting_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('invitation_sent', sa.Boolean(), nullable=False),
    sa.Column('guide_shared', sa.Boolean(), nullable=False),
    sa.Column('workshop_requested', sa.Boolean(), nullable=False),
    sa.Column('handoff_requested', sa.Boolean(), nullable=False),
    sa.Column('safety_flag', sa.Boolean(), nullable=False),
    sa.Column('misunderstood', sa.Boolean(), nullable=False),
    sa.Column('delivery_failures', sa.Integer(), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=9), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('handoff_state', sa.String(length=7), nullable=False),
    sa.Column('handoff_reason', sa.String(length=13), nullable=True),
    sa.Column('handoff_since', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('held_by', sa.Integer(), nullable=True),
    sa.Column('started_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['held_by'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('contact_id'),
    _check('conversations', 'channel', ('sms', 'whatsapp', 'web')),
    _check('conversations', 'status', ('new', 'reviewed', 'follow_up', 'closed')),
    _check('conversations', 'handoff_state', ('none', 'waiting', 'held')),
    _check('conversations', 'handoff_reason', ('crisis', 'person', 'misunderstood'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_handoff', ['handoff_state', 'handoff_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_language'), ['language'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_last_activity_at'), ['last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_pillar'), ['pillar'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_priority'), ['priority'], unique=False)
        batch_op.create_index('ix_conversations_school_activity', ['school_code', 'last_activity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversations_status'), ['status'], unique=False)
        batch_op.create_index('ix_conversations_insights', [
            'started_at', 'school_code', 'channel', 'language', 'pillar', 'priority', 'plan_ready', 'meeting_at',
            'steps_done', 'delivery_failures', 'workshop_requested', 'opted_out'], unique=False)

    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=13), nullable=False),
    sa.Column('requested_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sa.Integer(), nullable=True),
    sa.Column('taken_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', api.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['taken_by'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    _check('handoffs', 'reason', ('crisis', 'person', 'misunderstood'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_requested_at'), ['requested_at'], unique=False)

    op.create_table('staff_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=25), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    _check('staff_events', 'type', STAFF_EVENT_TYPES)
    )
    with op.batch_alter_table('staff_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_events_contact_id'), ['contact_id'], unique=False)

    op.create_table('staff_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=6), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    _check('staff_messages', 'sender', ('parent', 'staff')),
    _check('staff_messages', 'status', ('received', 'sent', 'deferred', 'failed'))
    )
    with op.batch_alter_table('staff_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_messages_contact_id'), ['contact_id'], unique=False)

    op.create_table('staff_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_notes_contact_id'), ['contact_id'], unique=False)

    op.create_table('staff_schools',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('school_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'school_code')
    )
    op.create_table('staff_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash'),
    _check('staff_sessions', 'stage', ('password', 'full'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)
    # Conversations from before the dashboard get their row (no summary yet: the next turn
    # brings one), so staff see them too.
    op.execute(
        "INSERT INTO conversations (contact_id, channel, language, needs, plan_ready, steps_done, invitation_sent, "
        "guide_shared, workshop_requested, handoff_requested, safety_flag, misunderstood, delivery_failures, "
        "opted_out, status, handoff_state, started_at, last_activity_at) "
        "SELECT id, channel, language, '[]', false, 0, false, false, false, false, false, false, 0, opted_out, "
        "'new', 'none', created_at, last_seen_at FROM contacts")


def downgrade() -> None:
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))

    op.drop_table('staff_sessions')
    op.drop_table('staff_schools')
    with op.batch_alter_table('staff_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_notes_contact_id'))

    op.drop_table('staff_notes')
    with op.batch_alter_table('staff_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_messages_contact_id'))

    op.drop_table('staff_messages')
    with op.batch_alter_table('staff_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_events_contact_id'))
        batch_op.drop_index(batch_op.f('ix_staff_events_at'))

    op.drop_table('staff_events')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_requested_at'))
        batch_op.drop_index(batch_op.f('ix_handoffs_contact_id'))

    op.drop_table('handoffs')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_insights')
        batch_op.drop_index(batch_op.f('ix_conversations_status'))
        batch_op.drop_index('ix_conversations_school_activity')
        batch_op.drop_index(batch_op.f('ix_conversations_priority'))
        batch_op.drop_index(batch_op.f('ix_conversations_pillar'))
        batch_op.drop_index(batch_op.f('ix_conversations_last_activity_at'))
        batch_op.drop_index(batch_op.f('ix_conversations_language'))
        batch_op.drop_index('ix_conversations_handoff')

    op.drop_table('conversations')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('staff_users')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_key')

    op.drop_table('login_failures')
