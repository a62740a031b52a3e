"""challenges, challenge_entries, challenge_posts: team challenges scored on a hidden test split

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'challenges',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('team_id', sa.String(32), nullable=False),
        sa.Column('data', sa.String(100), nullable=False),
        sa.Column('metric', sa.String(16), nullable=False),
        sa.Column('daily_limit', sa.Integer(), nullable=False),
        sa.Column('train_path', sa.Text(), nullable=False),
        sa.Column('hidden_path', sa.Text(), nullable=False),
        sa.Column('hidden_count', sa.Integer(), nullable=False),
        sa.Column('baselines', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_challenges_team', 'challenges', ['team_id', 'ends_at'])
    op.create_table(
        'challenge_entries',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('challenge_id', sa.Integer(), sa.ForeignKey('challenges.id', ondelete='CASCADE'), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.String(32), nullable=False),
        sa.Column('user_id', sa.String(32), nullable=False),
        sa.Column('local_date', sa.String(10), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'job_id', name='uq_challenge_entry'),
    )
    op.create_index('ix_challenge_entries_board', 'challenge_entries', ['challenge_id', 'status'])
    op.create_table(
        'challenge_posts',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('challenge_id', sa.Integer(), sa.ForeignKey('challenges.id', ondelete='CASCADE'), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('channel', sa.String(32), nullable=False),
        sa.Column('message_ts', sa.String(32), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('challenge_id', 'kind', name='uq_challenge_post'),
    )


def downgrade() -> None:
    op.drop_table('challenge_posts')
    op.drop_index('ix_challenge_entries_board', table_name='challenge_entries')
    op.drop_table('challenge_entries')
    op.drop_index('ix_challenges_team', table_name='challenges')
    op.drop_table('challenges')
