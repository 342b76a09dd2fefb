#!/usr/bin/env bash
# A stand-in for the Dockerfile's base image, for machines that reach Debian's package
# mirror but not Docker Hub: Debian bookworm (debootstrap, variant minbase) with its
# python3 and pip, shaped like the official python:*-slim-bookworm where the Dockerfile
# leans on it:
#   - the interpreter at /usr/local/bin/python3 and /usr/local/bin/python (UV_PYTHON,
#     HEALTHCHECK), pip at /usr/local/bin/pip;
#   - pip installs system-wide (no EXTERNALLY-MANAGED marker, as in the official image);
#   - PATH, LANG and CMD set in the image config (the Dockerfile's ENV PATH extends $PATH,
#     which an imported image has no value for unless it is set here);
#   - no compiler, no build tool: debootstrap installs Depends, never Recommends.
# One thing the official image lacks: it trusts the certificate authorities this machine
# adds (/usr/local/share/ca-certificates/*.crt, none on most machines), and SSL_CERT_FILE
# names the system bundle so that uv, which otherwise carries its own roots, uses it too.
# Behind a proxy that re-signs TLS, that is what lets the build reach the package index.
# It is Debian's Python (3.11), not python.org's 3.12: good for checking that the image
# builds and runs (tests/deploy/test_image.py), not for releases. Build releases against
# the real base (docs/operations.md, The image).
#
#   sudo tests/deploy/local-base-image.sh            # builds and tags rapport-local/python:3.11-slim-bookworm
#   docker build --build-arg PYTHON_IMAGE=rapport-local/python:3.11-slim-bookworm -t rapport:dev .
#
# Needs root (debootstrap chroots), debootstrap and a docker engine. Reproducible: the
# same suite, variant, package list and mirror state give the same files, with fixed
# timestamps, owners by number and sorted entries, so the same layer digest. The mirror
# is DEBIAN_MIRROR, or else the one this machine's apt uses for bookworm; to pin the
# packages themselves, point DEBIAN_MIRROR at a dated snapshot of the archive.
# Environment: IMAGE (tag), DEBIAN_MIRROR, SOURCE_DATE_EPOCH (file times; default: the
# last commit of this script), FORCE=1 (rebuild even if the tag exists).
set -euo pipefail

IMAGE=${IMAGE:-rapport-local/python:3.11-slim-bookworm}
SUITE=bookworm
PACKAGES=python3,python3-pip,ca-certificates
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ${FORCE:-0} != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "$IMAGE exists (FORCE=1 rebuilds it)"
    exit 0
fi

configured_mirror() {
    # deb822 sources first (Debian 12's default), then the one-line format.
    local file
    for file in /etc/apt/sources.list.d/*.sources; do
        [[ -f $file ]] || continue
        awk -v suite="$SUITE" '
            /^$/ { if (uri != "" && ok) { print uri; exit } uri = ""; ok = 0 }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
            END { if (uri != "" && ok) print uri }' "$file" | head -n 1
    done
    if [[ -f /etc/apt/sources.list ]]; then
        awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list
    fi
}

MIRROR=${DEBIAN_MIRROR:-$(configured_mirror | head -n 1)}
if [[ -z $MIRROR ]]; then
    echo "no Debian $SUITE mirror in /etc/apt: set DEBIAN_MIRROR" >&2
    exit 2
fi
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$HERE" log -1 --format=%ct -- local-base-image.sh 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

WORK=$(mktemp -d /tmp/rapport-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/rootfs

echo "debootstrap $SUITE ($PACKAGES) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" --keyring="$KEYRING" \
    "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

# Where the official image has them; the Dockerfile names /usr/local/bin/python3.
ln -sf /usr/bin/python3 "$ROOT/usr/local/bin/python3"
ln -sf /usr/bin/python3 "$ROOT/usr/local/bin/python"
ln -sf /usr/bin/pip3 "$ROOT/usr/local/bin/pip"
rm -f "$ROOT"/usr/lib/python3.*/EXTERNALLY-MANAGED

shopt -s nullglob
local_authorities=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob
if (( ${#local_authorities[@]} )); then
    cp "${local_authorities[@]}" "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >"$WORK/ca.log" 2>&1 || { cat "$WORK/ca.log" >&2; exit 1; }
fi

# What varies from one run to the next, and what an image does not need.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/var/cache/debconf/*-old \
    "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/var/lib/dpkg/*-old "$ROOT"/var/log/* \
    "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* \
    "$ROOT"/etc/machine-id "$ROOT"/etc/hostname "$ROOT"/etc/resolv.conf \
    "$ROOT"/tmp/* "$ROOT"/root/.cache
find "$ROOT" -name __pycache__ -type d -prune -exec rm -rf {} +
: >"$ROOT/etc/hostname"
# Debian's apt in the image uses the same mirror as its bootstrap did.
echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"

tar --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$ROOT" -c . \
  | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
      --change 'CMD ["python3"]' \
      --message "rapport stand-in base: debootstrap $SUITE minbase + $PACKAGES" \
      - "$IMAGE" >/dev/null

docker run --rm --network none "$IMAGE" python -c 'import sys; print(sys.version)'
docker image ls "$IMAGE"
