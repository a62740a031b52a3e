"""The composition root: every service is built here, once per process, with its dependencies named.

Handlers call services; services hold the logic. `build_services` is the bot process's set (the
runtime only runs what it builds); `build_worker` is what a worker process needs to run jobs. Nothing
is attached later: a service that needs another gets it in its constructor.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import Settings
from bot.course.loader import default_content_dir
from bot.finetune_request import RequestParser, sample_datasets
from bot.queue import Queues
from bot.services.challenges import ChallengeService
from bot.services.course import CourseService
from bot.services.drip_lessons import DripLessons
from bot.services.drip_sender import DripSender
from bot.services.drips import DripService
from bot.services.finetune import FinetuneService
from bot.services.finetune_data import DataResolver
from bot.services.job_messages import JobMessages
from bot.services.jobs import JobService
from bot.services.learning import LearningService
from bot.services.lesson_sender import LessonSender
from bot.services.once import Once
from bot.services.ratelimit import RateLimiter
from bot.services.run_questions import RunQuestionService
from bot.services.runs import RunService
from bot.services.tutor import TutorService
from bot.services.users import UserService
from bot.slack import Clients, installation_store_for
from bot.store import Database
from bot.tutor.llm import writer_for
from bot.worker import Worker
from training.registry import hub_reachable


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    client: WebClient
    clients: Clients
    users: UserService
    course: CourseService
    learning: LearningService
    drips: DripService
    drip_sender: DripSender
    jobs: JobService
    lessons: LessonSender
    once: Once
    queues: Queues
    finetune: FinetuneService
    tutor: TutorService
    runs: RunService
    run_questions: RunQuestionService
    challenges: ChallengeService


def build_services(settings: Settings, *, clock: Clock | None = None, client: WebClient | None = None,
                   db: Database | None = None, drip_sends_per_second: float = 20.0) -> Services:
    clock = clock or Clock()
    db = db or Database(settings.db_url)
    clients = Clients(settings.api_url, settings.bot_token, installation_store_for(settings, db.engine))
    client = client or clients.default
    course = CourseService(settings.content_dir)
    users = UserService(db, clock, settings.admins)
    run_questions = RunQuestionService(db, clock)
    learning = LearningService(db, clock, course, users, run_questions)
    jobs = JobService(db, clock, settings)
    lessons = LessonSender(course, learning, users)
    drips = DripService(db, clock, users, settings)
    drip_sender = DripSender(drips, DripLessons(drips, learning, lessons, users, course).deliver, client,
                             per_second=drip_sends_per_second, client_for_team=clients.for_team)
    resolver = DataResolver(course.sample_datasets(), settings.uploads_dir)
    messages = JobMessages(jobs, clients, run_questions)
    queues = Queues(settings, lambda: build_worker(settings, db=db, clock=clock))
    finetune = FinetuneService(jobs=jobs, queues=queues, parser=RequestParser(course.sample_datasets(), hub_reachable),
                               resolver=resolver, messages=messages, dm=lessons.dm, clock=clock,
                               check_limit=RateLimiter(settings.checks_per_minute),
                               predict_limit=RateLimiter(settings.predictions_per_minute))
    challenges = build_challenges(settings, db, clock, course.sample_datasets())
    tutor = TutorService(db, clock, course.content_dir, settings.index_dir,
                         limit=RateLimiter(settings.questions_per_minute), admins=settings.admins,
                         questions_channel=settings.questions_channel, next_lesson=learning.next_lesson_id,
                         jobs=jobs, writer=writer_for(settings))
    return Services(settings=settings, db=db, clock=clock, client=client, clients=clients, users=users,
                    course=course, learning=learning, drips=drips, drip_sender=drip_sender, jobs=jobs,
                    lessons=lessons, once=Once(db, clock), queues=queues, finetune=finetune, tutor=tutor,
                    runs=RunService(jobs=jobs, queues=queues, dm=lessons.dm), run_questions=run_questions,
                    challenges=challenges)


def build_worker(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Worker:
    """A worker process's parts: the job table, per-workspace clients, the job's messages, and the data
    resolver (for jobs queued before their data was resolved by the bot)."""
    db, clock = db or Database(settings.db_url), clock or Clock()
    clients = Clients(settings.api_url, settings.bot_token, installation_store_for(settings, db.engine))
    jobs = JobService(db, clock, settings)
    samples = sample_datasets(settings.content_dir or default_content_dir())
    messages = JobMessages(jobs, clients, RunQuestionService(db, clock))
    return Worker(settings=settings, jobs=jobs, clients=clients, messages=messages,
                  resolver=DataResolver(samples, settings.uploads_dir),
                  challenges=build_challenges(settings, db, clock, samples))


def build_challenges(settings: Settings, db: Database, clock: Clock, samples) -> ChallengeService:
    return ChallengeService(db, clock, samples=samples, folder=settings.data_dir / "challenges",
                            announce_channel=settings.announce_channel)


def build_queues(settings: Settings) -> Queues:
    """The queues of a worker process (`tutor worker`): its tasks run a `build_worker` worker."""
    return Queues(settings, lambda: build_worker(settings))
