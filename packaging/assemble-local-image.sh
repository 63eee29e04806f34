#!/usr/bin/env bash
# Assembles the Dockerfile's runtime layout without pulling any base image (for a machine with
# no registry access): a `scratch` image holding a switchboard binary built here, the shared
# libraries it links, the CA certificates and DejaVu fonts of this (Debian) host, a
# `switchboard` user (uid 10001) and a /data volume owned by it, configured like the
# Dockerfile's final stage. Then starts it with podman as `serve --demo` and checks the health
# check and /healthz. Needs buildah and podman (Debian: apt-get install buildah podman), root.
#   packaging/assemble-local-image.sh [BINARY]   (default: target/debug/switchboard)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/debug/switchboard}
IMAGE=localhost/switchboard-layout:test
PORT=${PORT:-18480}
# Extra `podman run` flags for a restricted host, e.g. "--ulimit host --cgroups=disabled".
PODMAN_RUN_FLAGS=${PODMAN_RUN_FLAGS:-}

export BUILDAH_FORMAT=docker
ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
mnt=$(buildah mount "$ctr")

install -D -m 0755 "$BIN" "$mnt/usr/local/bin/switchboard"
# The dynamic loader and every library the binary links, at their paths on this host.
for lib in $(ldd "$BIN" | grep -o '/[^ ]*'); do
  install -D -m 0755 "$(readlink -f "$lib")" "$mnt$lib"
done
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$mnt/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$mnt/usr/share/fonts/truetype"
cp -r /usr/share/fonts/truetype/dejavu "$mnt/usr/share/fonts/truetype/"
mkdir -p "$mnt/etc" "$mnt/tmp" "$mnt/data"
chmod 1777 "$mnt/tmp"
echo 'root:x:0:0:root:/root:/usr/sbin/nologin' >"$mnt/etc/passwd"
echo 'switchboard:x:10001:10001::/data:/usr/sbin/nologin' >>"$mnt/etc/passwd"
printf 'root:x:0:\nswitchboard:x:10001:\n' >"$mnt/etc/group"
chown 10001:10001 "$mnt/data"
chmod 0700 "$mnt/data"
buildah umount "$ctr" >/dev/null

buildah config --user 10001:10001 --workingdir /data \
  --env SWITCHBOARD_DATA_DIR=/data --env SWITCHBOARD_ADDR=0.0.0.0:8080 \
  --env SWITCHBOARD_LOG_FORMAT=json --volume /data --port 8080 \
  --healthcheck 'CMD ["switchboard", "healthcheck", "http://127.0.0.1:8080/healthz"]' \
  --healthcheck-interval 30s --healthcheck-timeout 6s --healthcheck-start-period 30s \
  --healthcheck-retries 3 --stop-signal SIGTERM \
  --entrypoint '["switchboard"]' --cmd serve "$ctr"
buildah commit --format docker "$ctr" "$IMAGE" >/dev/null
echo "image $IMAGE:"
podman image inspect "$IMAGE" --format '{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.ExposedPorts}} {{.Config.Volumes}}'

name=switchboard-layout-$$
if podman run -d --name "$name" $PODMAN_RUN_FLAGS -p "127.0.0.1:$PORT:8080" "$IMAGE" serve --demo >/dev/null; then
  trap 'podman rm -f "$name" >/dev/null 2>&1 || true; buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 1
  done
  echo "GET /healthz from the host: $(curl -fsS "http://127.0.0.1:$PORT/healthz")"
  podman healthcheck run "$name" && echo "podman healthcheck run: healthy"
  echo "runs as uid $(podman top "$name" uid | tail -1)"
  podman logs "$name" 2>&1 | grep -m3 -E 'Switchboard demo|sign in as|metrics synced' || true
  podman stop -t 30 "$name" >/dev/null
  echo "stopped: exit code $(podman inspect "$name" --format '{{.State.ExitCode}}')"
  exit 0
fi

# No container runtime works here (e.g. crun refuses hybrid cgroups): start the image's own
# file tree instead, chrooted, as its user, with the image's environment. This checks the
# layout (binary, libraries, certificates, fonts, user, /data) but not the runtime's
# isolation, port mapping or health-check scheduling.
echo "podman could not start the container; starting the image's file tree chrooted instead"
img=$(buildah from "$IMAGE")
root=$(buildah mount "$img")
trap 'kill "$pid" 2>/dev/null || true; buildah umount "$img" >/dev/null 2>&1 || true; buildah rm "$img" "$ctr" >/dev/null 2>&1 || true' EXIT
env -i SWITCHBOARD_DATA_DIR=/data SWITCHBOARD_ADDR="127.0.0.1:$PORT" SWITCHBOARD_LOG_FORMAT=json \
  /usr/sbin/chroot --userspec=10001:10001 "$root" /usr/local/bin/switchboard serve --demo >"$root/tmp/serve.out" 2>&1 &
pid=$!
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done
echo "GET /healthz: $(curl -fsS "http://127.0.0.1:$PORT/healthz")"
env -i /usr/sbin/chroot --userspec=10001:10001 "$root" /usr/local/bin/switchboard healthcheck "http://127.0.0.1:$PORT/healthz" \
  && echo "the image's HEALTHCHECK command, run inside the tree: healthy"
echo "serve runs as uid $(ps -o uid= -p "$(pgrep -P "$pid" || echo "$pid")" | tr -d ' ')"
grep -m3 -E 'Switchboard demo|sign in as|metrics synced' "$root/tmp/serve.out" || true
echo "/data holds: $(ls -l "$root/data" | tail -n +2 | awk '{print $1, $3, $NF}' | tr '\n' ';')"
# PNG exports and email charts draw their text with these fonts.
ls "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" >/dev/null && echo "fonts present"
kill -TERM "$pid"
wait "$pid" && echo "stopped on SIGTERM: exit code 0"
