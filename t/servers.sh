# t/servers.sh: real servers started and stopped by the test itself: OpenSSH
# sshd (SFTP, key authentication) and nginx (WebDAV over HTTP and HTTPS with
# basic authentication) on loopback, PostgreSQL on a Unix socket only.
# Sourced after t/lib.sh. Call servers_stop (pg_stop) from the test's exit
# trap.

SSHD_PID=
NGINX_PID=
SERVERS=

# pick_port: a free TCP port below the ephemeral range.
pick_port() {
	for _ in $(seq 100); do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
		[ -z "$(ss -Htan "( sport = :$p )")" ] && { echo "$p"; return 0; }
	done
	return 1
}

# wait_listen PID PORT: until PID listens on the port.
wait_listen() {
	for _ in $(seq 500); do
		kill -0 "$1" 2>/dev/null || return 1
		ss -Htlnp "( sport = :$2 )" | grep -q "pid=$1," && return 0
		sleep 0.02
	done
	return 1
}

stop_pid() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill "-$2" "$1" 2>/dev/null
	for _ in $(seq 250); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.02; done
	kill -KILL "$1" 2>/dev/null
	return 0
}

# servers_init DIR: keys, certificate, password file and folders in DIR.
servers_init() {
	SERVERS=$1
	mkdir -p "$SERVERS/logs" "$SERVERS/www" "$SERVERS/nginx-tmp" "$SERVERS/sftp" &&
	ssh-keygen -q -t ed25519 -N '' -f "$SERVERS/host_key" &&
	ssh-keygen -q -t ed25519 -N '' -f "$SERVERS/client_key" &&
	cp "$SERVERS/client_key.pub" "$SERVERS/authorized_keys" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$SERVERS/tls.key" -out "$SERVERS/tls.crt" 2>/dev/null &&
	printf 'sync:%s\n' "$(openssl passwd -apr1 s3cret)" >"$SERVERS/htpasswd"
}

# sshd_start [PORT]: SFTP on PORT (default: a free one); sets SSH_PORT and
# SFTP_ROOT and writes known_hosts.
sshd_start() {
	SSH_PORT=${1:-$(pick_port)} || return 1
	pam=yes
	[ "$(id -u)" = 0 ] && pam=no
	{
		echo "ListenAddress 127.0.0.1"
		echo "Port $SSH_PORT"
		echo "HostKey $SERVERS/host_key"
		echo "PidFile $SERVERS/sshd.pid"
		echo "AuthorizedKeysFile $SERVERS/authorized_keys"
		echo "StrictModes no"
		echo "PubkeyAuthentication yes"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"
		echo "UsePAM $pam"
		echo "Subsystem sftp internal-sftp"
	} >"$SERVERS/sshd_config"
	if [ "$(id -u)" != 0 ] || [ -d /run/sshd ]; then
		/usr/sbin/sshd -D -e -f "$SERVERS/sshd_config" 2>>"$SERVERS/logs/sshd.log" &
	else
		# root's sshd wants /run/sshd: made in a private mount namespace.
		unshare -m sh -c 'mount -n -t tmpfs -o mode=755 tmpfs /run &&
			mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -e -f "$1"' \
			sh "$SERVERS/sshd_config" 2>>"$SERVERS/logs/sshd.log" &
	fi
	SSHD_PID=$!
	echo "$SSHD_PID" >>"$SERVERS/sshd.pids"
	wait_listen "$SSHD_PID" "$SSH_PORT" || return 1
	echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$SERVERS/host_key.pub")" \
		>"$SERVERS/known_hosts"
	SFTP_ROOT="sftp://$(id -un)@127.0.0.1:$SSH_PORT$SERVERS/sftp/"
}

sshd_stop() {
	stop_pid "$SSHD_PID" TERM
	SSHD_PID=
}

# Every sshd started, also by test bodies (subshells) that restarted it.
sshd_stop_all() {
	sshd_stop
	[ -f "$SERVERS/sshd.pids" ] || return 0
	for pid in $(cat "$SERVERS/sshd.pids"); do
		stop_pid "$pid" TERM
	done
}

# nginx_start: WebDAV with PROPFIND; /box/ needs basic authentication.
# Sets HTTPS_ROOT and writes a netrc file.
nginx_start() {
	HTTP_PORT=$(pick_port) && HTTPS_PORT=$(pick_port) || return 1
	user=
	[ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$SERVERS/nginx.conf" <<NGINX_EOF
load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;
$user
worker_processes 1;
daemon off;
pid $SERVERS/nginx.pid;
error_log $SERVERS/logs/nginx-error.log;
events { worker_connections 64; }
http {
  access_log $SERVERS/logs/nginx-access.log;
  client_body_temp_path $SERVERS/nginx-tmp/body;
  proxy_temp_path $SERVERS/nginx-tmp/proxy;
  fastcgi_temp_path $SERVERS/nginx-tmp/fastcgi;
  uwsgi_temp_path $SERVERS/nginx-tmp/uwsgi;
  scgi_temp_path $SERVERS/nginx-tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$HTTP_PORT;
    listen 127.0.0.1:$HTTPS_PORT ssl;
    ssl_certificate $SERVERS/tls.crt;
    ssl_certificate_key $SERVERS/tls.key;
    root $SERVERS/www;
    location /box/ {
      auth_basic "syncpack";
      auth_basic_user_file $SERVERS/htpasswd;
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
NGINX_EOF
	mkdir -p "$SERVERS/www/box"
	nginx -p "$SERVERS/" -c "$SERVERS/nginx.conf" -e "$SERVERS/logs/nginx-error.log" \
		2>>"$SERVERS/logs/nginx-stderr.log" &
	NGINX_PID=$!
	wait_listen "$NGINX_PID" "$HTTPS_PORT" || return 1
	printf 'machine 127.0.0.1 login sync password s3cret\n' >"$SERVERS/netrc"
	HTTPS_ROOT="https://127.0.0.1:$HTTPS_PORT/box/"
}

nginx_stop() {
	stop_pid "$NGINX_PID" QUIT
	NGINX_PID=
}

# pg_bindir: the folder of initdb and pg_ctl: on PATH (a link in
# /usr/local/bin, say), else the newest /usr/lib/postgresql/*/bin as
# Debian installs them, else pg_config's.
pg_bindir() {
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -z "$d" ] && command -v pg_config >/dev/null 2>&1 && d=$(pg_config --bindir)
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || return 1
	echo "$d"
}

# pg_as_owner CMD...: runs CMD as the user that owns the cluster: postgres
# when the tests run as root (initdb refuses root), the caller otherwise.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_start: a throwaway cluster in a scratch folder of its own (every
# folder above it traversable by postgres), listening on a Unix socket in
# that folder only, on a random port. Creates the superuser postgres, an
# ordinary role sp_app (no superuser, no createrole) and a database
# syncpack owned by sp_app. Sets PG_DIR, PG_PORT, PG_URI (sp_app's URI of
# that database) and PG_ADMIN (psql arguments for the superuser).
PG_DIR=
PG_BIN=
pg_start() {
	PG_BIN=$(pg_bindir) || return 1
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/syncpack-pg.XXXXXX") || return 1
	chmod 755 "$PG_DIR" || return 1
	[ "$(id -u)" = 0 ] && { chown postgres: "$PG_DIR" || return 1; }
	PG_PORT=$(pick_port) || return 1
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		--auth=trust --no-sync -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
		-o "-k $PG_DIR -p $PG_PORT -c listen_addresses='' -c fsync=off" \
		start >/dev/null || { cat "$PG_DIR/log" >&2; return 1; }
	PG_ADMIN="-X -q -v ON_ERROR_STOP=1 -h $PG_DIR -p $PG_PORT -U postgres"
	PG_URI="postgresql:///syncpack?host=$PG_DIR&port=$PG_PORT&user=sp_app"
	# shellcheck disable=SC2086
	psql $PG_ADMIN -d postgres \
		-c "CREATE ROLE sp_app LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB" \
		-c "CREATE DATABASE syncpack OWNER sp_app" >/dev/null
}

# pg_sql ARGS...: psql as sp_app on database $PG_DB (syncpack unless set),
# unaligned and tuples only, stopping at the first error: pg_sql -c SQL.
pg_sql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U sp_app \
		-d "${PG_DB:-syncpack}" "$@"
}

# pg_newdb NAME: a fresh database NAME owned by sp_app; sets PG_DB and
# PG_URI to it, so that each test case starts empty.
pg_newdb() {
	# shellcheck disable=SC2086
	psql $PG_ADMIN -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS \"$1\"" \
		-c "CREATE DATABASE \"$1\" OWNER sp_app" >/dev/null &&
	PG_DB=$1 &&
	PG_URI="postgresql:///$1?host=$PG_DIR&port=$PG_PORT&user=sp_app"
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
		>/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

servers_stop() {
	sshd_stop_all
	nginx_stop
	pg_stop
}
