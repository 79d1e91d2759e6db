#!/bin/sh
# Checks that the Debian packages host builds with and runs with (man-db,
# for host help's manual pages) are installed, and
# installs the missing ones when run as root. Called by make before the
# first build, so a fresh Debian machine needs no manual set-up step.
# With --tests it also checks what the test suite needs (cmocka, python3
# for the LLM test server, git, Slurm and munge for the one-node cluster
# the Slurm executor's tests start, and chromium for the report test,
# which it names with its reason: it comes with over a hundred packages).
#
# libtcc ships no pkg-config file on Debian, so it is checked by its header
# and by tcc's runtime library; the others are checked with pkg-config.
set -eu

multiarch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH)
missing=""

need_pc() { # pkg-config-name debian-package
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_file() { # path debian-package
	[ -e "$1" ] || missing="$missing $2"
}

command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
need_file /usr/include/libtcc.h libtcc-dev
need_file "/usr/lib/$multiarch/tcc/libtcc1.a" tcc
need_pc libcurl libcurl4-openssl-dev
need_pc jansson libjansson-dev
need_pc libgit2 libgit2-dev
need_pc libseccomp libseccomp-dev
# host help shows the manual pages with man -l (man-db brings groff-base)
command -v man >/dev/null 2>&1 || missing="$missing man-db"
if [ "${1:-}" = "--tests" ]; then
	need_pc cmocka libcmocka-dev
	command -v python3 >/dev/null 2>&1 || missing="$missing python3"
	command -v git >/dev/null 2>&1 || missing="$missing git"
	need_file /usr/sbin/slurmctld slurmctld
	need_file /usr/sbin/slurmd slurmd
	need_file /usr/bin/srun slurm-client
	need_file /usr/sbin/munged munge
	if [ ! -x /usr/bin/chromium ]; then
		missing="$missing chromium"
		why="host: chromium is for the report test, which opens a lab's report in a real browser; apt installs it with the packages it needs, over a hundred on a minimal system"
	fi
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "host: missing Debian packages:$missing" >&2
	[ -z "${why:-}" ] || echo "$why" >&2
	echo "host: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "host: installing Debian packages:$missing" >&2
[ -z "${why:-}" ] || echo "$why" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq $missing >&2
