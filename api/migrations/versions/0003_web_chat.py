"""web chat: sessions and transcripts

A web-chat session (the token's SHA-256, the website's school, when it expires) per web
contact, and the messages of its transcript. Web contacts live in `contacts` with
channel "web" and no address (""): that column has no CHECK constraint, and `contacts`
is not touched (on SQLite, batch mode copies a table and drops the old one, and dropping
`contacts` there would cascade-delete every row that refers to it). Web turns use
`inbound_messages` as SMS turns do, under a message_sid of their own ("web:...").
The values are copied here, not imported: a migration must not change when the models do.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import api.core.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CHAT_SENDERS = ("parent", "bot", "staff")
CHAT_KINDS = ("message", "apology", "crisis", "plan")


def _longest(values) -> int:
    return max(len(value) for value in values)


def _check(table: str, column: str, values) -> sa.CheckConstraint:
    # op.f: the name is final (the models' naming convention must not prefix it again).
    listed = ", ".join(repr(value) for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table('chat_sessions',
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('school_code', sa.String(length=32), nullable=True),
    sa.Column('created_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('chat_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('contact_id', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=_longest(CHAT_SENDERS)), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=_longest(CHAT_KINDS)), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('client_message_id', sa.String(length=64), nullable=True),
    sa.Column('reply_to', sa.Integer(), nullable=True),
    sa.Column('at', api.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'client_message_id', name='uq_chat_client_message'),
    _check('chat_messages', 'sender', CHAT_SENDERS),
    _check('chat_messages', 'kind', CHAT_KINDS)
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_messages_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_messages_contact_id'))
    op.drop_table('chat_messages')
    op.drop_table('chat_sessions')
