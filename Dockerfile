# The aiwf-ci GitHub Action: a small Python image whose entry point runs the action.
FROM python:3.12-slim

LABEL org.opencontainers.image.title="aiwf-ci" \
      org.opencontainers.image.description="Continuous benchmarking with a statistical regression gate"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    AIWF_IMAGE=aiwf-ci

COPY requirements/action.txt /opt/aiwf-ci/requirements.txt
COPY pyproject.toml README.md /opt/aiwf-ci/src/
COPY aiwf_ci /opt/aiwf-ci/src/aiwf_ci
COPY entrypoint /opt/aiwf-ci/entrypoint

# One layer: pinned dependencies (wheels only, nothing to compile), the package, bytecode
# compiled ahead so the first benchmark starts fast, and the build tree removed.
RUN pip install --no-cache-dir --only-binary=:all: -r /opt/aiwf-ci/requirements.txt \
    && pip install --no-cache-dir --no-deps /opt/aiwf-ci/src \
    && python -m compileall -q "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
    && rm -rf /opt/aiwf-ci/src /root/.cache

ENTRYPOINT ["python", "/opt/aiwf-ci/entrypoint/main.py"]
