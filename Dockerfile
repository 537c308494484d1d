# syntax=docker/dockerfile:1
# InterSystems IRIS with the Python.Production of this project built in: namespace
# IRISAPP, IoP classes, the production (auto-start), the WSGI app /flask, and
# gunicorn serving the same Flask app on port 5000.
#
# Settings that src/python/settings.py reads are applied by `iop --migrate` at
# build time, so changing KAFKA_* or STORAGE_CONNECTION_STRING needs a rebuild:
#   docker compose build --build-arg KAFKA_TOPIC=other iris

# Pinned; override with --build-arg IMAGE=... (never `latest`, it drifts between IRIS versions).
# UNCONFIRMED: that this tag is published today (seen in use, not read on the registry).
ARG IMAGE=intersystemsdc/iris-community:2025.1
FROM ${IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The image's own users: root for the JRE, then the IRIS owner it defines.
# hadolint ignore=DL3066
USER root
# EnsLib.Kafka.Service runs on the %Java Server: install a JRE only if the image lacks one,
# and give it a stable, architecture-free JAVA_HOME.
# UNCONFIRMED: whether the image ships Java and whether this IRIS version's Kafka adapter needs it.
# hadolint ignore=DL3008
RUN if ! command -v java >/dev/null 2>&1; then \
        apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && ln -sfn "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /opt/java-home \
    && mkdir -p /irisdev/app \
    && chown "${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP}" /irisdev/app
# hadolint ignore=DL3066
USER ${ISC_PACKAGE_MGRUSER}

WORKDIR /irisdev/app

# Demo credentials only (see README). merge.cpf sets SuperUser's bootstrap password SYS;
# iris.script replaces it with IRIS_PASSWORD when that differs.
# hadolint ignore=DL3064
ARG IRIS_PASSWORD=SYS
# IRISUSERNAME/IRISPASSWORD/IRISNAMESPACE: the embedded-Python login of python3 (iop,
# gunicorn, health check). LD_LIBRARY_PATH must name IRIS's bin before Python starts.
# hadolint ignore=DL3064
ENV IRISUSERNAME=SuperUser \
    IRISPASSWORD=${IRIS_PASSWORD} \
    IRISNAMESPACE=IRISAPP \
    IRIS_PRODUCTION=Python.Production \
    APP_DIR=/irisdev/app \
    JAVA_HOME=/opt/java-home \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    PIP_NO_CACHE_DIR=1 \
    LD_LIBRARY_PATH=${ISC_PACKAGE_INSTALLDIR}/bin${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}} \
    PATH=/home/irisowner/.local/bin:/usr/irissys/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/home/irisowner/bin

# Plain pip as irisowner (user site, console scripts in ~/.local/bin), as IoP's own CI does.
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} requirements.txt ./
RUN python3 -m pip install -r requirements.txt

COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} merge.cpf iris.script ./
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} misc/iris/ ./misc/iris/
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} misc/gunicorn/ ./misc/gunicorn/
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} src/python/ ./src/python/

# Read by src/python/settings.py during `iop --migrate` (build arguments are environment
# variables of RUN steps).
ARG KAFKA_BOOTSTRAP_SERVERS=kafka:9092
ARG KAFKA_TOPIC=kafka_demo
ARG KAFKA_DLQ_TOPIC=kafka_demo.dlq
ARG KAFKA_GROUP_ID=demo-group
ARG STORAGE_CONNECTION_STRING=iris+emb:///IRISAPP

# Bake the production into the image; any failing step fails the build.
# - merge.cpf: namespace IRISAPP (interoperability), callin, SuperUser, web app /flask.
#   UNCONFIRMED: that `iris merge` exits non-zero on a failed action; iris.script re-checks its results.
# - iop --init: IoP's ObjectScript classes; iop --migrate: the production from settings.py.
#   Both log in with the bootstrap password of merge.cpf.
# - iris.script: checks, final password, auto-start; its output is searched for IRIS errors
#   and for its last line, so an error it did not trap still fails the build.
# The product table is not created here: LocalStorageBO creates it when it starts.
RUN iris start IRIS \
    && iris merge IRIS /irisdev/app/merge.cpf \
    && IRISPASSWORD=SYS python3 -m iop --init \
    && IRISPASSWORD=SYS python3 -m iop --migrate /irisdev/app/src/python/settings.py --strict-production-validation \
    && iris session IRIS < /irisdev/app/iris.script | tee /tmp/iris-script.log \
    && ! grep -E 'ERROR #|<[A-Z]+>' /tmp/iris-script.log \
    && grep -q 'iris.script: done' /tmp/iris-script.log \
    && iris stop IRIS quietly \
    && rm -f /tmp/iris-script.log

EXPOSE 1972 52773 5000

# Healthy means the production runs, not merely that IRIS is up.
HEALTHCHECK --interval=10s --timeout=20s --start-period=90s --retries=30 \
    CMD ["/bin/bash", "/irisdev/app/misc/iris/production-running.sh"]

# IRIS as the image starts it, plus the gunicorn supervisor (misc/iris/entrypoint.sh).
ENTRYPOINT ["/tini", "--", "/bin/bash", "/irisdev/app/misc/iris/entrypoint.sh"]
CMD ["--check-caps", "false"]
