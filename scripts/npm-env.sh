#!/bin/sh
# Runs one npm command with the registry settings of a build behind a mirror or a TLS-intercepting
# proxy, given as build arguments (docs/containers.md), then forgets them: the files are written to
# a temporary directory that is removed before the RUN step ends, so no image layer holds them.
#   NPM_REGISTRY  registry URL (a mirror): npm_config_registry
#   NPMRC         the content of an .npmrc (auth tokens, scoped registries, proxy, …): npm's user config
#   NPM_CA        PEM certificates trusted besides Node's own (a proxy's CA): NODE_EXTRA_CA_CERTS
#   NPM_NODEDIR   Node headers for native addons (better-sqlite3) without a download: npm_config_nodedir
# Usage in a Dockerfile build stage:  RUN sh scripts/npm-env.sh npm ci …
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ -n "${NPMRC:-}" ]; then
  printf '%s\n' "$NPMRC" >"$dir/npmrc"
  export npm_config_userconfig="$dir/npmrc"
fi
if [ -n "${NPM_CA:-}" ]; then
  printf '%s\n' "$NPM_CA" >"$dir/ca.pem"
  export NODE_EXTRA_CA_CERTS="$dir/ca.pem"
fi
if [ -n "${NPM_REGISTRY:-}" ]; then export npm_config_registry="$NPM_REGISTRY"; fi
if [ -n "${NPM_NODEDIR:-}" ]; then export npm_config_nodedir="$NPM_NODEDIR"; fi
"$@"
