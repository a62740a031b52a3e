"""Course tooling: the lesson schema, the content loader and validator, Markdown to Slack mrkdwn,
Block Kit rendering of lessons and quizzes, and the `lessons` command line.

Nothing here imports torch or transformers: the bot process loads the course at start-up.
"""

from bot.course.loader import ContentError, Course, ValidationProblem, load_course, validate_content

__all__ = ["ContentError", "Course", "ValidationProblem", "load_course", "validate_content"]
