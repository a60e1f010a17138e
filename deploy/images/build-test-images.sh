#!/usr/bin/env bash
# Builds the images the container tests run, without pulling anything from an image registry:
#
#   statewarden-test/jre:17                   Debian bookworm (debootstrap minbase) + openjdk-17-jre-headless
#   statewarden-test/kafka:4.3.1              a KRaft broker from the kafka_2.13 jars (a stand-in for apache/kafka)
#   statewarden-test/apicurio-registry:3.0.9  the registry distribution the build unpacks
#   statewarden-test/postgres:15              + postgresql-15 (apt-get in the build), started like postgres:15
#   statewarden-test/connect:3.6.0.Final      a Connect worker with the connectors module's plugins, started
#                                             like quay.io/debezium/connect (needs that module packaged)
#
# For the tests only (the machines this project is tested on cannot pull images): users build
# deploy/Dockerfile on its public base and run the public images compose.yaml names.
#
# Usage: deploy/images/build-test-images.sh [jre|kafka|registry|postgres|connect]...
#   (default: jre kafka registry)
#
# Each image carries the label statewarden.hash, a hash of everything it is made from; an image
# whose label matches is kept, so a second run takes a second. Needs a Docker engine (`docker`, or
# STATEWARDEN_DOCKER naming a compatible command) and, for the Debian root file systems, root
# (sudo is used when not root), debootstrap and the Debian mirror (STATEWARDEN_DEBIAN_MIRROR).
# The registry distribution comes from STATEWARDEN_REGISTRY_HOME, else the one the build unpacked.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
docker="${STATEWARDEN_DOCKER:-docker}"
mirror="${STATEWARDEN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$root/deploy/target/test-images"
mkdir -p "$work"

JRE=statewarden-test/jre:17
KAFKA=statewarden-test/kafka:4.3.1
REGISTRY=statewarden-test/apicurio-registry:3.0.9
POSTGRES=statewarden-test/postgres:15
CONNECT=statewarden-test/connect:3.6.0.Final

# one build at a time on this machine (test JVMs of several modules may ask at once)
exec 9>"${TMPDIR:-/tmp}/statewarden-test-images.lock"
flock 9

log() { echo "[test-images] $*" >&2; }

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# sha256 of the named files' contents and of any extra words
hash_of() {
  local extra="$1"
  shift
  { printf '%s\n' "$extra"; cat /dev/null "$@"; } | sha256sum | cut -c1-16
}

current() {
  "$docker" image inspect -f '{{ index .Config.Labels "statewarden.hash" }}' "$1" 2>/dev/null || true
}

# the images a rebuild left untagged
prune() {
  "$docker" image prune -f --filter label=statewarden.hash > /dev/null
}

# debootstrap + packages -> an imported image
rootfs_image() {
  local image="$1" hash="$2"
  shift 2
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/statewarden-rootfs.XXXXXX")"
  log "debootstrap bookworm for $image (packages: $*)"
  as_root debootstrap --variant=minbase bookworm "$dir" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; as_root rm -rf "$dir"; return 1; }
  as_root mount -t proc proc "$dir/proc"
  local rc=0
  as_root chroot "$dir" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" > "$work/apt-$hash.log" 2>&1 || rc=$?
  as_root umount "$dir/proc"
  if [[ $rc != 0 ]]; then
    tail -20 "$work/apt-$hash.log" >&2
    as_root rm -rf "$dir"
    return $rc
  fi
  as_root chroot "$dir" apt-get clean
  as_root rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/* "$dir"/var/log/*
  as_root tar -C "$dir" -c . | "$docker" import \
    --change "LABEL statewarden.hash=$hash" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' - "$image" > /dev/null
  as_root rm -rf "$dir"
}

build_jre() {
  local hash
  hash="$(hash_of "$(declare -f rootfs_image) openjdk-17-jre-headless $mirror")"
  if [[ "$(current "$JRE")" == "$hash" ]]; then return; fi
  rootfs_image "$JRE" "$hash" openjdk-17-jre-headless
  prune
  log "built $JRE"
}

build_kafka() {
  build_jre
  local hash
  hash="$(hash_of "$(current "$JRE")" "$here"/kafka/Dockerfile "$here"/kafka/pom.xml "$here"/kafka/run \
    "$here"/kafka/logback.xml "$here"/kafka/bin/*)"
  if [[ "$(current "$KAFKA")" == "$hash" ]]; then return; fi
  local ctx="$work/kafka"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  log "copying the Kafka jars with Maven"
  "$root/mvnw" -B -q -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$ctx/libs" >&2
  cp -r "$here"/kafka/Dockerfile "$here"/kafka/run "$here"/kafka/logback.xml "$here"/kafka/bin "$ctx/"
  "$docker" build -q --label "statewarden.hash=$hash" --build-arg "BASE=$JRE" -t "$KAFKA" "$ctx" > /dev/null
  prune
  log "built $KAFKA"
}

registry_home() {
  local h
  for h in "${STATEWARDEN_REGISTRY_HOME:-}" "$root/streams-app/target/apicurio-registry" \
    "$root/embedded/target/apicurio-registry"; do
    if [[ -n "$h" ]] && compgen -G "$h/apicurio-registry-app-*-runner.jar" > /dev/null; then
      echo "$h"
      return
    fi
  done
  echo "No unpacked Apicurio Registry distribution: run ./mvnw -B package -DskipTests first" \
    "(or set STATEWARDEN_REGISTRY_HOME)" >&2
  return 1
}

build_registry() {
  build_jre
  local home hash
  home="$(registry_home)"
  hash="$(hash_of "$(current "$JRE") $(cd "$home" && ls apicurio-registry-app-*-runner.jar)" \
    "$here/registry/Dockerfile")"
  if [[ "$(current "$REGISTRY")" == "$hash" ]]; then return; fi
  "$docker" build -q --label "statewarden.hash=$hash" --build-arg "BASE=$JRE" -t "$REGISTRY" \
    -f "$here/registry/Dockerfile" "$home" > /dev/null
  prune
  log "built $REGISTRY"
}

build_postgres() {
  build_jre
  local hash
  hash="$(hash_of "$(current "$JRE")" "$here"/postgres/Dockerfile "$here"/postgres/entrypoint)"
  if [[ "$(current "$POSTGRES")" == "$hash" ]]; then return; fi
  "$docker" build -q --label "statewarden.hash=$hash" --build-arg "BASE=$JRE" -t "$POSTGRES" \
    "$here/postgres" > /dev/null
  prune
  log "built $POSTGRES"
}

build_connect() {
  build_jre
  local module="$root/connectors" ctx="$work/connect" hash
  local plugins="$module/target/connect-plugins"
  local converter="$module/apicurio-converter-plugin/target/plugin/apicurio-converter"
  if [[ ! -f "$module/target/launcher-classpath.txt" || ! -d "$plugins" || ! -d "$converter" ]]; then
    echo "The connectors module is not packaged (its Connect plugins and class path): run" \
      "./mvnw -B -pl connectors -am package -DskipTests first" >&2
    return 1
  fi
  rm -rf "$ctx"
  mkdir -p "$ctx/libs" "$ctx/external_libs"
  tr ':' '\n' < "$module/target/launcher-classpath.txt" | xargs cp -t "$ctx/libs"
  cp -r "$plugins" "$ctx/connect"
  cp -r "$converter" "$ctx/external_libs/apicurio"
  # as in Debezium's image: the converter uses the worker's Jackson (a second copy in a connector's
  # plugin directory breaks Hibernate's Jackson modules in the JDBC sink)
  rm -f "$ctx"/external_libs/apicurio/jackson-{core,annotations,databind,datatype-jdk8}-*.jar
  cp "$here"/connect/Dockerfile "$here"/connect/run "$here"/connect/logback.xml "$ctx/"
  hash="$(cd "$ctx" && find . -type f | LC_ALL=C sort | xargs sha256sum | hash_of "$(current "$JRE")" -)"
  if [[ "$(current "$CONNECT")" == "$hash" ]]; then return; fi
  "$docker" build -q --label "statewarden.hash=$hash" --build-arg "BASE=$JRE" -t "$CONNECT" "$ctx" > /dev/null
  prune
  log "built $CONNECT"
}

targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then targets=(jre kafka registry); fi
for t in "${targets[@]}"; do
  case "$t" in
    jre) build_jre ;;
    kafka) build_kafka ;;
    registry) build_registry ;;
    postgres) build_postgres ;;
    connect) build_connect ;;
    *) echo "unknown image $t (jre, kafka, registry, postgres, connect)" >&2; exit 2 ;;
  esac
done
