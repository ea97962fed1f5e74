# The bot in a container. A regular (non-editable) install, then the sources are removed: the image
# runs the installed package, whose package data bot.questions carries the built-in packs, exactly
# as a wheel does (tests/test_distribution.py builds and runs that wheel).
#   docker build -t crate-digger . && docker run --env-file .env -v crate-digger:/data crate-digger
# Give `docker stop` more than the bot's 8 s shutdown grace: `docker stop -t 15` (compose.yaml does this).
FROM python:3.11-slim
# No .pyc writes into the image at run time, and log lines reach `docker logs` as they happen.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY questions ./questions
RUN pip install --no-cache-dir . && rm -rf /src
# A fixed uid/gid, so a host folder mounted at /data can be given to it: chown 10001:10001 FOLDER.
RUN groupadd --system --gid 10001 crate-digger \
    && useradd --system --uid 10001 --gid crate-digger --home-dir /data --no-create-home --shell /usr/sbin/nologin crate-digger \
    && mkdir /data && chown crate-digger:crate-digger /data
# Created and owned before VOLUME, so a new named volume starts out writable by the bot's user.
WORKDIR /data
ENV DATABASE_PATH=/data/crate-digger.sqlite3
VOLUME /data
USER crate-digger
# The bot stops cleanly on SIGTERM (games paused, store closed) within SHUTDOWN_GRACE_SECONDS = 8.
STOPSIGNAL SIGTERM
# `crate-digger health`: a read-only probe of the SQLite database (never creates or migrates it), under a second.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["crate-digger", "health"]
ENTRYPOINT ["crate-digger"]
CMD ["run"]
