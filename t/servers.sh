# t/servers.sh: real servers on loopback for transport tests, started and
# stopped by the test itself: OpenSSH sshd (SFTP, key authentication) and
# nginx (WebDAV over HTTP and HTTPS with basic authentication).
# Sourced after t/lib.sh. Call servers_stop from the test's exit trap.

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

servers_stop() {
	sshd_stop_all
	nginx_stop
}
