# Stand-in for the official `node:<version>-bookworm-slim` image where no registry is reachable
# (the compose journey, scripts/compose/journey.ts): the debootstrapped Debian stand-in plus this
# machine's Node install (binary, npm, headers), a `node` user of uid 1000 and the official
# image's entrypoint. The harness assembles the context: root/ holds the copied Node files.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY root/ /
RUN node --version && npm --version
# The official image's entrypoint, unchanged (nodejs/docker-node, MIT: node-entrypoint.LICENSE).
COPY node-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
