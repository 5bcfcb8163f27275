# The commentsvc service image: the package and its locked dependencies, run as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY sql ./sql
RUN pip install --no-cache-dir --prefix=/install -c constraints.txt .

FROM python:3.11-slim
COPY --from=build /install /usr/local
# The mail folder (used only without a relay) and the imports' uploads are the service user's; a
# volume mounted there starts so (the uploads' readable by it alone: they hold personal data).
RUN useradd --system --uid 10001 commentsvc \
    && install -d -o commentsvc -g commentsvc /var/lib/commentsvc/mail \
    && install -d -m 0700 -o commentsvc -g commentsvc /var/lib/commentsvc/imports
USER commentsvc
ENV COMMENTSVC_HOST=0.0.0.0 \
    COMMENTSVC_WORKERS=2 \
    COMMENTSVC_PORT=8000 \
    COMMENTSVC_ENV=production \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Liveness, on the port the service listens on: a Redis outage leaves reading and posting going, so
# only a balancer reads /readyz (to send traffic elsewhere), never the container's health.
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:${COMMENTSVC_PORT}/healthz"
# Migrations are safe to run from every instance at once (advisory lock).
CMD ["sh", "-c", "commentsvc migrate && exec commentsvc serve"]
