# syntax=docker/dockerfile:1
# InterSystems IRIS with the Python.Production of this project built in: namespace
# IRISAPP, IoP classes, the production (auto-start), the WSGI app /flask, and
# gunicorn serving the same Flask app on port 5000.
#
# Settings that src/python/settings.py reads are applied by `iop --migrate` at
# build time, so changing KAFKA_* or STORAGE_CONNECTION_STRING needs a rebuild:
#   docker compose build --build-arg KAFKA_TOPIC=other iris

# Pinned (override with --build-arg IMAGE=... or IRIS_IMAGE in .env) so that every build
# gets the same IRIS release. A pinned Community image stops starting once its bundled
# licence expires, about a year after its release ("The license for the instance expires a
# year after the release date", InterSystems' Community Edition limits, KEY=ACLOUD_limits):
# on 2026-09-29 this registry's :2025.1 failed at start on any core count with "Invalid
# Community Edition license, may have exceeded core limit" while :2026.1, :latest-em and
# intersystemsdc/iris-community:latest started (intersystems-community/iris-devtester,
# docs/learnings/community-license-expiry-not-core-limit.md). misc/deploy/iris/build.sh and
# misc/deploy/doctor.sh name that cause when IRIS logs that line; then move this tag to a current
# release. The 2026.1 build pinned here, 2026.1.0.234 (built 2026-04-23), reaches that
# point around spring 2027 (docs/iris-evidence.md#licence-expiry). Alternatives: the
# rolling :latest-em of this registry (InterSystems' current extended-maintenance release,
# so a current licence but a moving IRIS version), or the community-built
# intersystemsdc/iris-community:<tag> (adds IPM, and pre-installs irissqlcli, whose 0.5
# releases carry an iris package of their own: docs/iris-evidence.md#python-in-iris; its
# /docker-entrypoint.sh is not used, the ENTRYPOINT below replaces it).
# What the build relies on in 2026.1, from public reports of the image: embedded Python
# 3.12.3 (docs/iris-evidence.md#python-version), /iris-main and /tini, messages.log in
# /usr/irissys/mgr (docs/iris-evidence.md#iris-main).
# UNCONFIRMED risk: one public report (Docker Desktop, WSL2 kernel 5.15) saw in-process
# embedded Python calls end the IRIS process with signal 11 on
# intersystemsdc/irishealth-community 2026.1 (Build 235U) where 2025.3 worked; other reports
# ran embedded Python on 2026.1 without fault. On such a host the build's embedded-Python
# probe ends with "signal 11" (docs/iris-evidence.md#embedded-python-probe).
ARG IMAGE=containers.intersystems.com/intersystems/iris-community:2026.1
FROM ${IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The image's own users: root for the JRE, then the IRIS owner it defines
# (ISC_PACKAGE_MGRUSER, as iris-flask-template and iris-python-template use them).
# hadolint ignore=DL3066
USER root
# EnsLib.Kafka.Service runs on the %Java Server (docs/iris-evidence.md#kafka-java-server): install a JRE only
# if the image lacks one, and give it a stable, architecture-free JAVA_HOME, which the
# %Java Server uses (docs/iris-evidence.md#java-home). Only that optional item needs Java, so a failed install is a
# WARNING in the build log (misc/deploy/iris/build.sh keeps it for misc/deploy/doctor.sh), never a failed build.
# UNCONFIRMED: whether the image ships Java; the package name is Ubuntu's (docs/iris-evidence.md#jre-install).
# hadolint ignore=DL3008
RUN mkdir -p /irisdev/app \
    && if ! command -v java >/dev/null 2>&1; then \
        { apt-get update \
          && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless; } \
        || echo "WARNING: the JRE could not be installed (misc/deploy/iris/build.sh records it)"; \
        rm -rf /var/lib/apt/lists/*; \
    fi \
    && if command -v java >/dev/null 2>&1; then \
        ln -sfn "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /opt/java-home; \
    fi \
    && chown -R "${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP}" /irisdev/app
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
    PYTHONPATH=${ISC_PACKAGE_INSTALLDIR}/mgr/python \
    PATH=${ISC_PACKAGE_INSTALLDIR}/mgr/python/bin:/usr/irissys/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/home/irisowner/bin

COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} requirements.txt ./
# Into <installdir>/mgr/python, where InterSystems documents packages for embedded Python
# ("Install and Import Python Packages", KEY=GEPYTHON_loadlib: `pip3 install --target
# <installdir>/mgr/python <package>`), not the user site (~/.local), which IRIS's iris_site.py
# warns "will not always be visible" to the kernel's Python. The wrapper's start-up hook
# iris_ep.pth lands there too (with --user it landed in ~/.local, never processed);
# LocalStorageBO also runs the wrapper's explicit installer, in case IRIS does not process
# .pth files in that folder (docs/iris-evidence.md#python-in-iris).
# One pip run: intersystems-irispython and the wrapper both ship iris/__init__.py, and pip
# installs a dependency before its dependent within one run, so the wrapper's file is
# written last. --upgrade replaces what the image may already hold there (--target skips
# an existing folder otherwise). PYTHONPATH makes the folder python3's too (iop, gunicorn,
# irissqlcli), and puts it first in the kernel's Python, as the wrapper's README asks for
# embedded-kernel ("Set PYTHONPATH to the project or installed package location when you
# need the wrapper instead of the built-in iris module"); the console scripts land in its
# bin/, which PATH names.
# UNCONFIRMED without IRIS: that the production's jobs, started by IRIS, see PYTHONPATH
# and mgr/python ahead of <installdir>/lib/python; the build's kernel probe prints their
# sys.path (misc/deploy/iris/kernel_probe.py).
RUN python3 -m pip install --upgrade --target "${ISC_PACKAGE_INSTALLDIR}/mgr/python" -r requirements.txt

COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} merge.cpf iris.script ./
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} misc/deploy/iris/ ./misc/deploy/iris/
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} misc/deploy/gunicorn/ ./misc/deploy/gunicorn/
# Without kafka_demo/local_mode, which .dockerignore leaves out: IRIS never runs the local mode.
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} src/python/ ./src/python/

# Read by src/python/settings.py during `iop --migrate` (build arguments are environment
# variables of RUN steps).
ARG KAFKA_BOOTSTRAP_SERVERS=kafka:9092
ARG KAFKA_TOPIC=kafka_demo
ARG KAFKA_DLQ_TOPIC=kafka_demo.dlq
ARG KAFKA_GROUP_ID=demo-group
ARG STORAGE_CONNECTION_STRING=iris+emb:///IRISAPP

# Bake the production into the image, in the order of IoP's own CI: start IRIS, merge.cpf
# (checked result by result), iop --init, iop --migrate, iop --default, then iris.script
# (checks, final password, auto-start) and stop. What the production cannot run without
# fails the build with one ERROR line; what only an optional item needs prints a WARNING
# line and is kept in /irisdev/app/build-warnings.log for misc/deploy/doctor.sh.
# The product table is not created here: LocalStorageBO creates it when it starts.
RUN bash /irisdev/app/misc/deploy/iris/build.sh

EXPOSE 1972 52773 5000

# Healthy means the production runs, not merely that IRIS is up.
HEALTHCHECK --interval=10s --timeout=20s --start-period=90s --retries=30 \
    CMD ["/bin/bash", "/irisdev/app/misc/deploy/iris/production-running.sh"]

# IRIS through /iris-main, as IoP's and iris-flask-template's entrypoints start it, plus
# the gunicorn supervisor (misc/deploy/iris/entrypoint.sh). /iris-main is the documented
# entrypoint of InterSystems images (ADOCK_iris_iscmain). /tini is likely there too
# (zpm-dockerhub's Dockerfile-phase2 sets ENTRYPOINT ["/tini", ...] on
# intersystems/iris-community:2024.1 without installing it; a public reference of the
# 2026.1 image lists ENTRYPOINT ["/tini", "--", "/iris-main"]), but it is not used:
# docker-compose.yml sets `init: true`, and the script forwards TERM to iris-main itself.
ENTRYPOINT ["/bin/bash", "/irisdev/app/misc/deploy/iris/entrypoint.sh"]
CMD ["--check-caps", "false"]
