# The bot in a container. A regular (non-editable) install, then the sources are removed: the image
# runs the installed package, whose package data bot.questions carries the built-in packs, exactly
# as a wheel does (tests/test_distribution.py builds and runs that wheel).
#   docker build -t crate-digger . && docker run --env-file .env -v crate-digger:/data crate-digger
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY questions ./questions
RUN pip install --no-cache-dir . && rm -rf /src
WORKDIR /data
ENV DATABASE_PATH=/data/crate-digger.sqlite3
VOLUME /data
ENTRYPOINT ["crate-digger"]
CMD ["run"]
