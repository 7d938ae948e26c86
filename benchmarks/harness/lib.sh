# Helpers the harness scripts share. Source it after setting WORK (a scratch directory) and PIDS (an array the
# script's cleanup kills).

# A TCP port free on loopback right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Starts an nginx of its own under $WORK/NAME with the given http{} contents; WORKERS (default 1) sets its workers.
nginx_conf() {
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/nginx.conf" <<CONF
worker_processes ${WORKERS:-1};
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1/body; proxy_temp_path $WORK/$1/proxy; fastcgi_temp_path $WORK/$1/fcgi; uwsgi_temp_path $WORK/$1/uwsgi; scgi_temp_path $WORK/$1/scgi;
  keepalive_requests 1000000;
  $2
}
CONF
  nginx -c "$WORK/$1/nginx.conf" -p "$WORK/$1" -g "daemon off;" & PIDS+=($!)
}
