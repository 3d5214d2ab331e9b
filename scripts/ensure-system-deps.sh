#!/usr/bin/env bash
# Installs the Debian packages the test suite drives: chromium (Playwright), nginx (ingress),
# openssl (test certificates and apr1 htpasswd entries), iproute2 (`ip netns` in the exposure
# test) and, for the compose journey (scripts/compose/journey.ts), Docker's engine,
# docker-compose and debootstrap. Runs as root on Debian (CI, fresh machines); elsewhere it only
# says what to install (the compose journey's packages are optional there: without them that
# step is skipped).
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v envsubst >/dev/null 2>&1 || missing+=(gettext-base)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && [ "${COMPOSE_JOURNEY:-}" != 0 ]; then
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts nginx as a system service on install; the project runs its own instances.
  if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them, for example: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
