#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core; never a downloaded one.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "ensure-chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
