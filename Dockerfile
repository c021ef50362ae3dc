# The aiwf-ci GitHub Action: a small Python image whose entry point runs the action.
FROM python:3.12-slim

LABEL org.opencontainers.image.title="aiwf-ci" \
      org.opencontainers.image.description="Continuous benchmarking with a statistical regression gate"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    AIWF_IMAGE=aiwf-ci

# git, so a pull request's base tree comes from the checkout's history (`fetch-depth: 0`)
# with no API request. Only its C commands are used (archive, rev-parse, describe, ls-files:
# aiwf-ci, setuptools-scm, hatch-vcs), so the Perl it pulls in for its Perl scripts
# (send-email, svn: 47 MB; the base image's perl-base stays), its translations and its
# manual pages go. Valgrind for `measure: instructions`, cut to what counting needs: the
# cachegrind and callgrind tools for this architecture and the core (5 MB of the package's
# 77 MB; the other tools, 32-bit builds, static libraries and libc debug symbols go).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git valgrind \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && rm -rf /usr/lib/*-linux-gnu/perl/5.* /usr/lib/*-linux-gnu/libperl.so* /usr/share/perl/5.* \
        /usr/share/locale/*/LC_MESSAGES/git.mo /usr/share/man/man*/git* /usr/share/doc/git* \
    && find /usr/libexec/valgrind -maxdepth 1 -type f \
        \( -name '*-x86-linux*' -o -name 'memcheck-*' -o -name 'helgrind-*' -o -name 'drd-*' \
           -o -name 'massif-*' -o -name 'dhat-*' -o -name 'lackey-*' -o -name 'exp-bbv-*' \
           -o -name 'none-*' -o -name 'vgpreload_[!c]*' -o -name '*.js' -o -name '*.html' \
           -o -name '*.xml' \) -delete \
    && rm -rf /usr/lib/x86_64-linux-gnu/valgrind /usr/lib/aarch64-linux-gnu/valgrind /usr/lib/debug \
    && git --version \
    && valgrind -q --tool=callgrind --callgrind-out-file=/dev/null /bin/true

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
