"""Optional generative answers: an OpenAI-compatible chat endpoint (`TUTOR_LLM_BASE_URL` +
`TUTOR_LLM_MODEL`, e.g. a team's gateway or a local server) writes a short answer from the retrieved
passages only, with the same citations. Off by default. On any error, timeout or odd reply the
extractive answer stands: a learner never waits on, nor sees, a broken endpoint.

Plain urllib (no new dependency); the model's text is escaped (`bot.slack.escape`) before it is shown,
so a question crafted to make it write `<!channel>` pings nobody.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import replace

from bot.slack import escape
from bot.tutor.answer import Answer

log = logging.getLogger(__name__)
MAX_CHARS = 2500
SYSTEM = ("You are the teaching assistant of a short course on fine-tuning text classifiers. Answer the "
          "learner's question in at most 120 words using ONLY the numbered course passages (and the facts "
          "about their run, when given). If the passages do not answer it, say that the course does not "
          "cover it. Guide the learner rather than handing over a full solution. Refer to passages as "
          "[1], [2]. Plain text, no links.")


def prompt(question: str, answer: Answer) -> list[dict]:
    """The chat messages: the retrieved passages (and the run's facts), then the question; nothing else."""
    parts = [f"[{n}] {p.label()}\n{p.text}" for n, p in enumerate(answer.sources, 1)]
    if answer.run_facts:
        parts.append("Facts about the learner's run:\n" + "\n".join(f"- {fact}" for fact in answer.run_facts))
    user = "Course passages:\n\n" + "\n\n".join(parts) + f"\n\nQuestion: {question.strip()[:2000]}"
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


class AnswerWriter:
    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 8.0):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout

    def write(self, question: str, answer: Answer) -> Answer:
        """A generated answer with the extractive one's citations, or `answer` itself when it is not an
        answer from passages or the endpoint fails in any way."""
        if not answer.in_scope or not answer.sources or answer.kind not in ("course", "run"):
            return answer
        try:
            text = self._complete(prompt(question, answer))
        except Exception as error:  # noqa: BLE001 - network, HTTP, JSON, timeout alike: extractive stands
            log.warning("generative answer failed, the extractive one stands: %r", error)
            return answer
        body = escape(text.strip()[:MAX_CHARS])
        parts = []
        if answer.run_facts:
            parts.append("*Your run:*\n" + "\n".join(f"• {fact}" for fact in answer.run_facts))
        parts.append(body)
        parts.append("_Sources: " + "; ".join(f"[{n}] {c.label()}" for n, c in enumerate(answer.citations, 1))
                     + ". Written from these passages by a language model: check the lesson._")
        return replace(answer, text="\n\n".join(parts), generated=True)

    def _complete(self, messages: list[dict]) -> str:
        payload = json.dumps({"model": self.model, "messages": messages, "temperature": 0.2,
                              "max_tokens": 400}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
            data = json.loads(response.read(1_000_000))
        text = data["choices"][0]["message"]["content"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("empty completion")
        return text


def writer_for(settings) -> AnswerWriter | None:
    """Generated answers when TUTOR_LLM_BASE_URL and TUTOR_LLM_MODEL are set; None (extractive) otherwise."""
    if not settings.llm_base_url:
        return None
    return AnswerWriter(settings.llm_base_url, settings.llm_model, api_key=settings.llm_api_key,
                        timeout=settings.llm_timeout_seconds)
