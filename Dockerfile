# syntax=docker/dockerfile:1
# Switchboard's image: `docker build -t switchboard .` (or `podman build`), then see compose.yaml
# and docs/ops/packaging.md. The binary is built with the `dist` profile (fat LTO, stripped).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches make a rebuild after a code change incremental.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist -p switchboard \
 && cp target/dist/switchboard /usr/local/bin/switchboard

FROM debian:bookworm-slim
# ca-certificates: the TLS roots for Twilio, SMTP and webhooks (the connector trusts the
# system's store through rustls). fonts-dejavu-core: the fonts PNG exports and email charts
# are drawn with; without any font their text is missing.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin switchboard \
 && mkdir -p /data \
 && chown switchboard:switchboard /data \
 && chmod 0700 /data
COPY --from=build /usr/local/bin/switchboard /usr/local/bin/switchboard

USER switchboard:switchboard
WORKDIR /data
ENV SWITCHBOARD_DATA_DIR=/data \
    SWITCHBOARD_ADDR=0.0.0.0:8080 \
    SWITCHBOARD_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
# No curl or wget in the image: the binary asks its own /healthz. With another
# SWITCHBOARD_ADDR port, override the health check's URL too.
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 \
  CMD ["switchboard", "healthcheck", "http://127.0.0.1:8080/healthz"]
# serve and worker stop within their deadline on SIGTERM; compose and systemd wait 30 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["switchboard"]
CMD ["serve"]
