"""tutor_questions: learners' questions to the tutor, their citations, 👍/👎 and the way to the admins

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tutor_questions',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('team_id', sa.String(32), nullable=False),
        sa.Column('user_id', sa.String(32), nullable=False),
        sa.Column('channel', sa.String(32), nullable=True),
        sa.Column('thread_ts', sa.String(32), nullable=True),
        sa.Column('answer_ts', sa.String(32), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('in_scope', sa.Boolean(), nullable=False),
        sa.Column('citations', sa.JSON(), nullable=False),
        sa.Column('feedback', sa.String(8), nullable=True),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('admin_channel', sa.String(32), nullable=True),
        sa.Column('admin_ts', sa.String(32), nullable=True),
        sa.Column('admin_answer', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_tutor_questions_team', 'tutor_questions', ['team_id', 'created_at'])
    op.create_index('ix_tutor_questions_admin_post', 'tutor_questions', ['admin_channel', 'admin_ts'])


def downgrade() -> None:
    op.drop_index('ix_tutor_questions_admin_post', table_name='tutor_questions')
    op.drop_index('ix_tutor_questions_team', table_name='tutor_questions')
    op.drop_table('tutor_questions')
