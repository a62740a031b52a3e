"""users.info_at (the Slack profile's last read, for the weekly refresh before drips) and
finetune_jobs.notified_at (the owner was told the outcome: a crash between the two is caught up)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('info_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('finetune_jobs', sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))
    # Before 0002 every drip re-read the profile and stamped last_seen_at; and every ended job had been
    # announced as it ended (without metadata, so the tick could not find those posts and would repost them).
    op.execute("UPDATE users SET info_at = last_seen_at")
    op.execute("UPDATE finetune_jobs SET notified_at = finished_at WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('finetune_jobs') as batch:
        batch.drop_column('notified_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('info_at')
