# Stand-in for the official `nginx` image where no registry is reachable (the compose journey,
# scripts/compose/journey.ts): Debian's nginx on the debootstrapped Debian stand-in, laid out
# like the official image — user `nginx` (uid 101), /etc/nginx/conf.d filled at start by the
# official entrypoint's envsubst of /etc/nginx/templates/*.template, logs to stdout/stderr,
# temporary files under /var/cache/nginx, pid in /run, `wget` for the healthcheck.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN groupadd --system --gid 101 nginx \
    && useradd --system --uid 101 --gid nginx --home-dir /var/cache/nginx --no-create-home \
       --shell /usr/sbin/nologin nginx \
    && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
    && apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base wget \
    && rm -rf /usr/sbin/policy-rc.d /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/sites-available \
       /etc/nginx/conf.d/* /var/lib/nginx \
    && mkdir -p /var/cache/nginx /docker-entrypoint.d \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
# The official image's entrypoint scripts, unchanged (nginxinc/docker-nginx, BSD-2-Clause:
# nginx-entrypoint/LICENSE).
COPY nginx-entrypoint/docker-entrypoint.sh /
COPY nginx-entrypoint/20-envsubst-on-templates.sh /docker-entrypoint.d/
RUN nginx -t
ENTRYPOINT ["/docker-entrypoint.sh"]
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
