#!/bin/bash
# The image's HEALTHCHECK: GET /observe/health/ready over bash's /dev/tcp, healthy on HTTP 200 only.
# No JVM is started for it (the JRE image has no curl or wget). It asks MANAGEMENT_PORT, the
# variable the module itself reads: set, it wins over management.port in a mounted config file.
host=${MANAGEMENT_HOST:-127.0.0.1}
host=${host#[}
host=${host%]}
# a module listening on every interface is asked on the loopback
case "$host" in
  0.0.0.0) host=127.0.0.1 ;;
  :: | 0:0:0:0:0:0:0:0) host=::1 ;;
esac
exec 3<>"/dev/tcp/$host/${MANAGEMENT_PORT:-8080}" || exit 1
printf 'GET /observe/health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 4 _ status _ <&3 || exit 1
[ "$status" = 200 ]
