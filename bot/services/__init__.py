"""Services hold the product's logic; handlers call them. Built once per process by `build_services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import Settings
from bot.store import Database

if TYPE_CHECKING:
    from bot.queue import Queues
    from bot.services.course import CourseService
    from bot.services.drips import DripService
    from bot.services.finetune import FinetuneService
    from bot.services.jobs import JobService
    from bot.services.learning import LearningService
    from bot.services.lesson_sender import LessonSender
    from bot.services.once import Once
    from bot.services.users import UserService
    from bot.slack import Clients


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    client: WebClient
    clients: "Clients"
    users: "UserService"
    course: "CourseService"
    learning: "LearningService"
    drips: "DripService"
    jobs: "JobService"
    lessons: "LessonSender"
    once: "Once"
    queues: "Queues"
    finetune: "FinetuneService | None" = None


def build_services(settings: Settings, *, clock: Clock | None = None, client: WebClient | None = None,
                   db: Database | None = None) -> Services:
    from bot.services.course import CourseService
    from bot.services.drips import DripService
    from bot.services.jobs import JobService
    from bot.services.learning import LearningService
    from bot.services.lesson_sender import LessonSender
    from bot.services.once import Once
    from bot.queue import queues_for
    from bot.services.users import UserService
    from bot.slack import Clients, installation_store_for

    clock = clock or Clock()
    db = db or Database(settings.db_url)
    clients = Clients(settings.api_url, settings.bot_token, installation_store_for(settings, db.engine))
    client = client or clients.default
    course = CourseService(settings.content_dir)
    users = UserService(db, clock, settings.admins)
    learning = LearningService(db, clock, course, users)
    jobs = JobService(db, clock, settings)
    drips = DripService(db, clock, course, learning, users, settings)
    return Services(settings=settings, db=db, clock=clock, client=client, clients=clients, users=users, course=course,
                    learning=learning, drips=drips, jobs=jobs, lessons=LessonSender(course, learning, users),
                    once=Once(db, clock), queues=queues_for(settings))
