# The commentsvc service image: the package and its locked dependencies, run as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY sql ./sql
RUN pip install --no-cache-dir --prefix=/install -c constraints.txt .

FROM python:3.11-slim
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 commentsvc
USER commentsvc
ENV COMMENTSVC_HOST=0.0.0.0 \
    COMMENTSVC_WORKERS=2 \
    COMMENTSVC_PORT=8000 \
    COMMENTSVC_ENV=production \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
# Migrations are safe to run from every instance at once (advisory lock).
CMD ["sh", "-c", "commentsvc migrate && exec commentsvc serve"]
