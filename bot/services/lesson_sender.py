"""Posting lessons into a learner's DM: pages, then the quiz, then the score. Used by /lesson,
buttons, App Home and the daily drip alike."""

from __future__ import annotations

from slack_sdk import WebClient

from bot import views
from bot.slack import open_dm


class LessonSender:
    def __init__(self, course, learning, users):
        self.course, self.learning, self.users = course, learning, users
        self._dm_cache: dict[tuple[str, str], str] = {}

    def dm(self, client: WebClient, team_id: str, user_id: str) -> str:
        """The learner's DM channel: from memory, from the database, or opened once and remembered."""
        key = (team_id, user_id)
        if key not in self._dm_cache:
            channel = self.users.remembered_dm(team_id, user_id)
            if channel is None:
                channel = open_dm(client, user_id)
                self.users.remember_dm(team_id, user_id, channel)
            self._dm_cache[key] = channel
        return self._dm_cache[key]

    def post(self, client: WebClient, team_id: str, user_id: str, **message):
        """Post `message` into the learner's DM; Slack's response (its `channel` is the DM's id).
        A DM not yet known costs no `conversations.open` (Tier 3, ~50 a minute, which bound a first
        morning of drips): chat.postMessage takes the user id as `channel`, posts in the bot's DM with
        them and answers with that DM's id, which is remembered."""
        known = self._dm_cache.get((team_id, user_id)) or self.users.remembered_dm(team_id, user_id)
        response = client.chat_postMessage(channel=known or user_id, **message)
        if known:
            self._dm_cache[(team_id, user_id)] = known
        else:
            self.remember_dm(team_id, user_id, response["channel"])
        return response

    def remember_dm(self, team_id: str, user_id: str, channel: str) -> None:
        """Slack told us the learner's DM with the app (App Home): no need to open it later."""
        if self._dm_cache.get((team_id, user_id)) != channel:
            self.users.remember_dm(team_id, user_id, channel)
            self._dm_cache[(team_id, user_id)] = channel

    def send_lesson(self, client: WebClient, team_id: str, user_id: str, lesson_id: str,
                    page: int | None = None) -> tuple[str, str]:
        """Post the lesson from `page` (default: where the learner left off); returns (channel, ts)."""
        row = self.learning.start(team_id, user_id, lesson_id)
        if page is None:  # resume, but never inside the optional "Go deeper" pages
            page = 0 if row.completed_at is not None else row.page
            page = min(page, self.course.page_count(lesson_id) - 1)
        return self.send_page(client, team_id, user_id, lesson_id, page)

    def send_page(self, client: WebClient, team_id: str, user_id: str, lesson_id: str, page: int) -> tuple[str, str]:
        pages = self.course.page_count(lesson_id)  # "Go deeper" pages follow these
        page = max(0, min(page, pages - 1 + self.course.deeper_page_count(lesson_id)))
        msg = self.course.page(lesson_id, page, user_id)
        response = self.post(client, team_id, user_id, text=msg["text"], blocks=msg["blocks"],
                             unfurl_links=False, unfurl_media=False)
        channel = response["channel"]
        if page == pages - 1:
            self.send_quiz(client, team_id, user_id, lesson_id, channel)
        return channel, response["ts"]

    def send_quiz(self, client: WebClient, team_id: str, user_id: str, lesson_id: str, channel: str) -> None:
        answers = self.learning.answers(team_id, user_id, lesson_id)
        for index, question in enumerate(self.course.lesson(lesson_id).quiz):
            stored = answers.get(question.id)
            msg = (self.course.answered_question(lesson_id, index, stored.choice, user_id) if stored
                   else self.course.question(lesson_id, index, user_id))
            client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])

    def send_completion(self, client: WebClient, team_id: str, user_id: str, lesson_id: str,
                        score: int, questions: int, channel: str) -> None:
        lesson = self.course.lesson(lesson_id)
        nxt = self.course.next_after(lesson_id)
        msg = views.completion_message(lesson, score, questions, nxt, user_id)
        client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
        reviews = self.learning.due_reviews(team_id, user_id, just_completed=lesson_id)
        if reviews:
            msg = views.review_message(reviews, user_id)
            client.chat_postMessage(channel=channel, text=msg["text"], blocks=msg["blocks"])
