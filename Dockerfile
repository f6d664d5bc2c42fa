# The reference server (the field-service backend) as an image, for docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY harness ./harness
RUN pip install --no-cache-dir .
VOLUME /data
EXPOSE 8000
CMD ["offline-harness", "serve", "--host", "0.0.0.0", "--port", "8000", "--db", "/data/fsm.db"]
