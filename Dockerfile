# One image for the api and the worker (the command picks which).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY worker worker
COPY workflows workflows
COPY activities activities
COPY core core
COPY cli cli
COPY credentials credentials
COPY outbound outbound
COPY compliance compliance
COPY templates templates
COPY migrations migrations
COPY alembic.ini ./
# scanners: bandit, for the built-in Security Scan template
RUN pip install --no-cache-dir '.[scanners]'
ENV AGENTIC_TEMPORAL_ADDRESS=temporal:7233
CMD ["python", "-m", "worker"]
