"""run_questions: quiz questions about a learner's own finished runs, and their first answers

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'run_questions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('team_id', sa.String(32), nullable=False),
        sa.Column('user_id', sa.String(32), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(32), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.Column('answer', sa.Integer(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.Column('channel', sa.String(32), nullable=True),
        sa.Column('message_ts', sa.String(32), nullable=True),
        sa.Column('choice', sa.Integer(), nullable=True),
        sa.Column('correct', sa.Boolean(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('job_id', 'question_id', name='uq_run_question'),
    )
    op.create_index('ix_run_questions_owner', 'run_questions', ['team_id', 'user_id'])


def downgrade() -> None:
    op.drop_index('ix_run_questions_owner', table_name='run_questions')
    op.drop_table('run_questions')
