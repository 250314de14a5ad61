#!/usr/bin/env bash
# Installs vigil-edge as a systemd service on a Raspberry Pi (Raspberry Pi OS or Debian, arm64) or
# any systemd Linux box. Idempotent: run it again to upgrade the binary; settings and data stay.
#
#   sudo deploy/pi/install.sh [path/to/vigil-edge]      # default: dist/vigil-edge-linux-arm64 on arm64,
#                                                       # bin/vigil-edge elsewhere (make cross / make build)
#
# What it does:
#   - a system user "vigil" (no login, no home) in the groups video (/dev/video*) and gpio (/dev/gpiochip*);
#     creates the gpio group and a udev rule giving it /dev/gpiochip* when the system has none
#     (Raspberry Pi OS has both);
#   - /usr/local/bin/vigil-edge, /etc/vigil (config, 0750) and /var/lib/vigil (data, 0700), owned by vigil;
#   - /etc/systemd/system/vigil-edge.service, enabled and (re)started.
# No password is set: the first visit to http://<pi>:8080 asks for the admin account and the one-time
# setup code the service prints at its first start (so that nobody else on the LAN can claim the camera):
#   journalctl -u vigil-edge | grep "setup code"      or   sudo -u vigil vigil-edge admin setup-code -data /var/lib/vigil
# or set the password from the shell:
#   sudo -u vigil vigil-edge admin set-password -data /var/lib/vigil
#
# VIGIL_ROOT=DIR installs under DIR instead of / and skips the user, udev and systemctl steps (for tests
# and image builders).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${VIGIL_ROOT:-}
bin=${1:-}
if [[ -z $bin ]]; then
	case $(uname -m) in
	aarch64 | arm64) bin=$repo/dist/vigil-edge-linux-arm64 ;;
	*) bin=$repo/bin/vigil-edge ;;
	esac
fi
if [[ ! -x $bin ]]; then
	echo "install.sh: no executable at $bin (run make cross or make build, or give the path)" >&2
	exit 1
fi
if [[ -z $root && $(id -u) != 0 ]]; then
	echo "install.sh: run as root (sudo)" >&2
	exit 1
fi

say() { printf 'vigil install: %s\n' "$*"; }

if [[ -z $root ]]; then
	getent group gpio >/dev/null || { groupadd --system gpio && say "created group gpio"; }
	getent group video >/dev/null || { groupadd --system video && say "created group video"; }
	if ! id vigil >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /var/lib/vigil --shell /usr/sbin/nologin \
			--groups video,gpio vigil
		say "created user vigil"
	else
		usermod --append --groups video,gpio vigil
	fi
	if ! ls /etc/udev/rules.d/*gpio* /lib/udev/rules.d/*gpio* >/dev/null 2>&1; then
		printf '%s\n' '# vigil: let the gpio group drive GPIO lines (character device API, used through gpiod)' \
			'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' >/etc/udev/rules.d/60-vigil-gpio.rules
		udevadm control --reload-rules 2>/dev/null || true
		udevadm trigger --subsystem-match=gpio 2>/dev/null || true
		say "added /etc/udev/rules.d/60-vigil-gpio.rules"
	fi
fi

install -d -m 0755 "$root/usr/local/bin" "$root/etc/systemd/system"
install -d -m 0750 "$root/etc/vigil"
install -d -m 0700 "$root/var/lib/vigil"
install -m 0755 "$bin" "$root/usr/local/bin/vigil-edge.new"
mv -f "$root/usr/local/bin/vigil-edge.new" "$root/usr/local/bin/vigil-edge"
install -m 0644 "$here/vigil-edge.service" "$root/etc/systemd/system/vigil-edge.service"
say "installed $root/usr/local/bin/vigil-edge and $root/etc/systemd/system/vigil-edge.service"

if [[ -z $root ]]; then
	chown -R vigil:vigil /etc/vigil /var/lib/vigil
	systemctl daemon-reload
	systemctl enable vigil-edge.service >/dev/null
	systemctl restart vigil-edge.service
	say "vigil-edge is running: systemctl status vigil-edge; journalctl -u vigil-edge -f"
	ip=$(hostname -I 2>/dev/null | awk '{print $1}')
	if [[ -s /var/lib/vigil/admin.json ]]; then
		say "open http://${ip:-<pi>}:8080 and sign in"
	else
		say "first run: open http://${ip:-<pi>}:8080 and enter the setup code the service printed at its start:"
		say "  journalctl -u vigil-edge | grep \"setup code\""
		say "  or: sudo -u vigil vigil-edge admin setup-code -data /var/lib/vigil"
		say "(or skip the web setup: sudo -u vigil vigil-edge admin set-password -data /var/lib/vigil)"
	fi
fi
