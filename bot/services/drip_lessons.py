"""What a daily drip sends: the next lesson (with due reviews), a pause notice after unread days, or
the end-of-course summary. `DripSender` calls `deliver` for each claimed delivery."""

from __future__ import annotations

from bot import views
from bot.services.drips import Claim


class DripLessons:
    def __init__(self, drips, learning, lessons, users, course):
        self.drips, self.learning, self.lessons, self.users, self.course = drips, learning, lessons, users, course

    def deliver(self, client, claim: Claim):
        """Post the day's drip; returns (channel, ts, lesson_id | None, status)."""
        team_id, user_id = claim.team_id, claim.user_id
        if self.users.get(team_id, user_id) is not None:  # a learner never seen (subscribed for them) keeps
            user = self.users.ensure(team_id, user_id, client, weekly=True)  # the subscription's zone: no
            sub = self.drips.subscription(team_id, user_id)  # users.info (Tier 4) on a first morning
            if sub is not None and sub.tz != user.tz:
                self.drips.refresh_tz(team_id, user_id, user.tz)
        if self.drips.should_pause(team_id, user_id):
            self.drips.set_paused(team_id, user_id, True)
            response = self.lessons.post(client, team_id, user_id, **views.drip_paused_message(user_id))
            return response["channel"], response["ts"], None, "skipped"
        lesson_id = self.learning.next_lesson_id(team_id, user_id)
        if lesson_id is None:
            self.drips.unsubscribe(team_id, user_id)
            response = self.lessons.post(client, team_id, user_id, **views.course_finished_message(
                self.learning.summary(team_id, user_id)))
            return response["channel"], response["ts"], None, "sent"
        channel, ts = self.lessons.send_lesson(client, team_id, user_id, lesson_id)
        reviews = [r for r in self.learning.due_reviews(team_id, user_id) if r.stage > 0]
        if reviews:
            client.chat_postMessage(channel=channel, **views.review_message(reviews, user_id))
        return channel, ts, lesson_id, "sent"
