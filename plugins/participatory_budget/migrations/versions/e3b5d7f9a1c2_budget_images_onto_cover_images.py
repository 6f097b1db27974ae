"""Budget projects' image addresses and milestone photos become core cover images; the old
columns go

Revision ID: e3b5d7f9a1c2
Revises: c4e1a9d3f7b2
Create Date: 2026-12-01 00:10:00

Before cover images were a core service, a budget project had an ``image_url`` (with its
``image_alt``) and a milestone a ``photo_url`` (with its ``photo_alt``): addresses typed in a
form, shown as ``<img src=…>``.

- An address naming a file of this hub's ``uploads/`` (``/uploads/…`` or a path without a
  scheme) is carried over like the workshops' files: checked, resized into the responsive
  widths, stripped of its metadata, its text alternative kept (the title when it had none).
- A remote address (``http(s)://…``) is **never fetched**: an upgrade makes no network
  request, and the hub cannot check what a third-party server sends (nor stop it changing
  the picture later, nor stop every visitor's browser calling it). Nothing typed is lost
  though: a project's remote image stays on its page as a link (its text alternative, or
  its title, as the link's text) in a paragraph added at the end of its description; a
  milestone's remote photo becomes the milestone's document link when it had none, or is
  added at the end of its public note. Each one is also logged as a warning (staff may then
  upload a milestone's photo itself on its page).
- Any other value (another scheme, a path leading out of ``uploads/``, a missing file) is
  logged and dropped.

A downgrade brings the columns back empty; the cover images and the added links stay.
"""
from alembic import op
import sqlalchemy as sa

from hub.plugin import carry_over_images


revision = 'e3b5d7f9a1c2'
down_revision = 'c4e1a9d3f7b2'
branch_labels = None
depends_on = None

PROJECT = 'participatory_budget_project'
MILESTONE = 'participatory_budget_milestone'


def remote(value: str) -> bool:
    return value.lower().startswith(('http://', 'https://'))


def local_file(value: str) -> str | None:
    """The file under ``uploads/`` an address names, or None (remote or another scheme)."""
    value = value.strip()
    if value.startswith('/uploads/'):
        return value[len('/uploads/'):]
    if not value or '://' in value or value.startswith('//') or ':' in value.split('/')[0]:
        return None
    return value.lstrip('/')


def link_text(text: str) -> str:
    """A markdown link's text: brackets and line breaks would end it early."""
    return ' '.join(text.replace('[', '(').replace(']', ')').split())


def upgrade():
    with op.batch_alter_table(MILESTONE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_image_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_participatory_budget_milestone_cover_image_id'), ['cover_image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_participatory_budget_milestone_cover_image_id_image'), 'image', ['cover_image_id'], ['id'], ondelete='SET NULL')

    carry_over_images(PROJECT, 'image_url', local_file, alt='image_alt')
    carry_over_images(MILESTONE, 'photo_url', local_file, alt='photo_alt')

    connection = op.get_bind()
    projects = sa.table(
        PROJECT,
        sa.column('id', sa.Integer),
        sa.column('title', sa.String),
        sa.column('description', sa.Text),
        sa.column('image_url', sa.String),
        sa.column('image_alt', sa.String),
        sa.column('cover_image_id', sa.Integer),
    )
    for row in connection.execute(
        sa.select(projects).where(projects.c.image_url != '', projects.c.cover_image_id.is_(None))
    ).all():
        if not remote(row.image_url):
            continue
        text = link_text(row.image_alt or row.title) or row.image_url
        link = f'[{text}](<{row.image_url.strip()}>)'
        description = (row.description or '').rstrip()
        connection.execute(
            sa.update(projects)
            .where(projects.c.id == row.id)
            .values(description=f'{description}\n\n{link}' if description else link)
        )

    milestones = sa.table(
        MILESTONE,
        sa.column('id', sa.Integer),
        sa.column('title', sa.String),
        sa.column('note', sa.Text),
        sa.column('document_url', sa.String),
        sa.column('document_label', sa.String),
        sa.column('photo_url', sa.String),
        sa.column('photo_alt', sa.String),
        sa.column('cover_image_id', sa.Integer),
    )
    for row in connection.execute(
        sa.select(milestones).where(
            milestones.c.photo_url != '', milestones.c.cover_image_id.is_(None)
        )
    ).all():
        if not remote(row.photo_url):
            continue
        label = (row.photo_alt or '').strip() or row.title
        if not row.document_url:
            values = {'document_url': row.photo_url.strip()[:500], 'document_label': label[:200]}
        else:
            note = (row.note or '').rstrip()
            added = f'{label}: {row.photo_url.strip()}'
            values = {'note': f'{note}\n\n{added}' if note else added}
        connection.execute(sa.update(milestones).where(milestones.c.id == row.id).values(**values))

    with op.batch_alter_table(PROJECT, schema=None) as batch_op:
        batch_op.drop_column('image_url')
        batch_op.drop_column('image_alt')
    with op.batch_alter_table(MILESTONE, schema=None) as batch_op:
        batch_op.drop_column('photo_url')
        batch_op.drop_column('photo_alt')


def downgrade():
    with op.batch_alter_table(MILESTONE, schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_alt', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('photo_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('fk_participatory_budget_milestone_cover_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_participatory_budget_milestone_cover_image_id'))
        batch_op.drop_column('cover_image_id')
    with op.batch_alter_table(PROJECT, schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_alt', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('image_url', sa.String(length=500), server_default='', nullable=False))
