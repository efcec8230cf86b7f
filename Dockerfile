# syntax=docker/dockerfile:1
# fwmatrix as a container image:
#   docker build --build-arg FWM_GIT_COMMIT=$(git rev-parse HEAD) -t fwmatrix .
#   docker run --rm -v "$PWD:/src" fwmatrix check /src/firewall/fe01.rules --role front-end
#
# The build stage compiles (tests off: no Catch2) and packs the same .deb as the
# releases; the runtime stage installs that .deb with apt, so its libraries are exactly
# the package's Depends (from dpkg-shlibdeps), with the rule packs in
# /usr/share/fwmatrix/rules, and nothing of the build.
#
# Every RUN line is one line calling scripts/container-steps: scripts/check-container
# reads them from here and runs them in debootstrap roots (no Docker needed), so keep
# each on one line, and bind mounts as --mount=type=bind,from=STAGE,source=S,target=T.

FROM debian:12 AS build
COPY scripts/bootstrap.sh scripts/container-steps /src/scripts/
RUN /src/scripts/container-steps build-deps
COPY . /src
ARG FWM_GIT_COMMIT=
RUN /src/scripts/container-steps build /src /out

FROM debian:12-slim AS runtime
RUN --mount=type=bind,from=build,source=/src/scripts,target=/src/scripts --mount=type=bind,from=build,source=/out,target=/out /src/scripts/container-steps runtime /out
LABEL org.opencontainers.image.title="fwmatrix" org.opencontainers.image.source="https://github.com/fwmatrix/fwmatrix"
WORKDIR /src
ENTRYPOINT ["fwmatrix"]
CMD ["--help"]
