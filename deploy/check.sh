#!/usr/bin/env bash
# Checks what deploy/ ships, without a container engine or a cluster (none is on this machine):
#   - the Kubernetes manifests (deploy/kubernetes, and secret.example.yaml) against Kubernetes' OpenAPI schemas, for
#     unknown fields, and for the references between them (deploy/check/validate.mjs says how);
#   - the Dockerfile: every COPY source exists and is not excluded by .dockerignore, the runtime stage runs as a
#     numeric non-root user and declares /data a volume and a HEALTHCHECK;
#   - the HAProxy configuration of the three-instance setup (haproxy -c, when haproxy is installed);
#   - with --publish: the Dockerfile's build stage for real, its COPY and RUN lines replayed in a scratch directory
#     (restore and `dotnet publish -c Release`), then the published gateway started from that output with a
#     data directory in the scratch directory, settings from the environment as in the image, until /healthz answers 200.
# The npm packages of the schema check are installed from deploy/check/package-lock.json when missing.
# Usage: deploy/check.sh [--publish]
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
say() { echo "check: $*"; }

[ -d deploy/check/node_modules/kubernetes-models ] || npm ci --prefix deploy/check --no-audit --no-fund --loglevel=error
node deploy/check/validate.mjs deploy/kubernetes || fail=1

# The Dockerfile, read as text: what a build would need from the context and what the image promises.
python3 - <<'PY' || fail=1
import fnmatch, os, re, sys
text = open("deploy/Dockerfile").read().replace("\\\n", " ")
ignore = [l.strip().rstrip("/") for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
def ignored(path):
    parts = path.rstrip("/").split("/")
    return any(fnmatch.fnmatch(path.rstrip("/"), p) or any(fnmatch.fnmatch(x, p.replace("**/", "")) for x in parts)
               for p in ignore if p.startswith("**/")) or any(path.rstrip("/") == p or path.startswith(p + "/") for p in ignore if not p.startswith("**/"))
problems = []
stages = re.split(r"^FROM ", text, flags=re.M)[1:]
for line in re.findall(r"^COPY (?!--from)(.*)$", text, re.M):
    for src in [w for w in line.split()[:-1] if not w.startswith("--")]:
        if not os.path.exists(src):
            problems.append(f"COPY {src}: not in the repository")
        elif ignored(src):
            problems.append(f"COPY {src}: excluded by .dockerignore")
runtime = stages[-1]
user = re.findall(r"^USER (\S+)", runtime, re.M)
uid = re.search(r"^ARG APP_UID=(\d+)", runtime, re.M)
if not user or not (user[-1].isdigit() or (user[-1] == "${APP_UID}" and uid and uid.group(1) != "0")):
    problems.append("the runtime stage does not end as a numeric non-root USER")
for needed, what in [(r'^VOLUME \["/data"\]', "VOLUME /data"), (r"^HEALTHCHECK .*healthz", "a HEALTHCHECK of /healthz"),
                     (r"^ENTRYPOINT ", "an ENTRYPOINT")]:
    if not re.search(needed, runtime, re.M):
        problems.append(f"the runtime stage has no {what}")
if len(stages) < 2 or "dotnet/sdk" not in stages[0] or "dotnet/aspnet" not in stages[-1]:
    problems.append("not a two-stage build (SDK, then the ASP.NET runtime)")
for p in problems:
    print("deploy/Dockerfile: " + p)
print(f"deploy/Dockerfile: {'ok' if not problems else str(len(problems)) + ' problem(s)'} ({len(stages)} stages)")
sys.exit(1 if problems else 0)
PY

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  # The configuration's placeholders, filled with ports as benchmarks/harness/three-instances.sh does.
  env FRONT_HTTP=18888 FRONT_TCP=18023 FRONT_MQTT=11883 G1_HTTP=1 G1_TCP=2 G1_MQTT=3 G1_ADMIN=4 G2_HTTP=5 G2_TCP=6 \
    G2_MQTT=7 G2_ADMIN=8 G3_HTTP=9 G3_TCP=10 G3_MQTT=11 G3_ADMIN=12 SOURCE=127.0.0.1 STATS=19999 ADMIN_SOCKET=/tmp/haproxy-check.sock \
    "$(command -v haproxy || echo /usr/sbin/haproxy)" -c -q -f deploy/haproxy/haproxy.cfg && say "deploy/haproxy/haproxy.cfg: ok" || { say "deploy/haproxy/haproxy.cfg: refused by haproxy -c"; fail=1; }
else
  say "haproxy not installed: deploy/haproxy/haproxy.cfg not checked (apt-get install haproxy)"
fi

if [ "${1:-}" = --publish ]; then
  # The build stage without Docker: its COPY lines into a scratch /src, its RUN lines there, /app made a scratch
  # folder. Sources come from git's view of the work tree (tracked and untracked, ignored files left out), which
  # leaves out the same build output .dockerignore does.
  scratch=$(mktemp -d); trap 'kill "${gw:-}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/src" "$scratch/app"
  build_stage=$(awk '/^FROM .*dotnet\/sdk/ {on=1; next} /^FROM / {on=0} on' deploy/Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
  while read -r op rest; do
    case "$op" in
      COPY)
        read -ra words <<<"$rest"; dest=${words[-1]}; unset 'words[-1]'
        for src in "${words[@]}"; do
          git ls-files -co --exclude-standard -- "$src" | while read -r f; do
            target="$scratch/src/$dest"; [[ "$dest" == */ ]] && target="$scratch/src/$dest${f#"${src%/}"/}"
            [[ "$src" == */ ]] || target="$scratch/src/${dest%/}/$(basename "$f")"
            mkdir -p "$(dirname "$target")"; cp "$f" "$target"
          done
        done ;;
      RUN)
        say "RUN ${rest//\/app/$scratch/app}"
        (cd "$scratch/src" && bash -c "${rest//\/app/$scratch/app}") > "$scratch/run.log" 2>&1 || { tail -20 "$scratch/run.log"; exit 1; } ;;
    esac
  done <<<"$build_stage"
  say "published: $(ls "$scratch/app" | wc -l) files, $(du -sh "$scratch/app" | cut -f1) in $scratch/app"
  # Start what was published the way the image does (dotnet /app/gateway.dll, settings from the environment).
  admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -m 0700 "$scratch/data"
  env Gateway__Registry__DataDirectory="$scratch/data" Gateway__AdminAddress=127.0.0.1 Gateway__AdminPort="$admin" \
    ASPNETCORE_HTTP_PORTS= Gateway__Beam__ListenAddress=127.0.0.1 Gateway__Beam__HttpPort=0 Gateway__Beam__WebsitePort=0 \
    Gateway__Beam__UnifiedPort=0 Gateway__Beam__TcpPort=0 Gateway__Beam__MqttPort=0 Gateway__Devices__HttpPort=0 \
    Gateway__Devices__MqttPort=0 dotnet "$scratch/app/gateway.dll" > "$scratch/gateway.log" 2>&1 & gw=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  if curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null; then say "the published gateway answers /healthz 200"; else
    say "the published gateway did not answer /healthz:"; tail -20 "$scratch/gateway.log"; fail=1; fi
  kill "$gw"; wait "$gw" 2>/dev/null || true
  # What it wrote into its data directory (in the image the only writable place besides /tmp).
  say "written by the gateway: $(cd "$scratch/data" && find . -type f | tr '\n' ' ')"
fi

[ "$fail" = 0 ] && say "all ok" || { say "FAILED"; exit 1; }
