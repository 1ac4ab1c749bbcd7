# The escalate HTTP service: docker build -t escalate . && docker run -p 8000:8000 escalate
# Mount your policy and pass it: -v $PWD/policy.yaml:/policy.yaml escalate --policy /policy.yaml
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install '.[server,api-docs]' && useradd --system --uid 10001 escalate
USER escalate

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Set ESCALATE_API_KEY to require a key on /v1.
ENTRYPOINT ["escalate", "serve", "--host", "0.0.0.0", "--port", "8000"]
