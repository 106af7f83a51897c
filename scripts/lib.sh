# Shared by scripts/run and scripts/test: install what is missing, idempotently, and fast when nothing is.
# Sourced, not executed. Every download attempt is bounded by a timeout.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# What `cargo install` installs (Trunk, wasm-bindgen) must be found even where no rustup profile put it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else die "need root (or sudo) to run: $*"; fi
}

APT_UPDATED=0
# apt_ensure PKG...: installs the Debian packages that are not installed yet.
apt_ensure() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "apt-get update"
        as_root timeout 600 apt-get update -qq
        APT_UPDATED=1
    fi
    say "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ensure_rust: cargo with rustfmt and clippy. Uses rustup's toolchain when there is one, else Debian's.
ensure_rust() {
    if ! have cargo; then
        say "no cargo on PATH: installing Debian's Rust toolchain (rustc-web 1.96)"
        apt_ensure rustc-web cargo-web rust-web-clippy rust-web-src rustfmt-web
    fi
    if have rustup; then
        for component in rustfmt clippy; do
            rustup component list --installed 2>/dev/null | grep -q "^$component" \
                || timeout 300 rustup component add "$component" \
                || die "could not install the rustup component $component"
        done
    fi
    have gcc || apt_ensure build-essential
}

# wasm_route: prints how this machine builds for wasm32-unknown-unknown, installing what that needs.
#   rustup  - rustup's wasm32 target (the normal route)
#   debian  - Debian's rustc-web 1.96 with std built from rust-web-src (where rustup cannot download)
# SDRS_WASM_ROUTE=rustup|debian forces one.
wasm_route() {
    local route="${SDRS_WASM_ROUTE:-}"
    if [ -z "$route" ]; then
        if [ -d "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/wasm32-unknown-unknown" ]; then
            route=rustup
        elif have rustup && timeout 180 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
            route=rustup
        else
            route=debian
        fi
    fi
    if [ "$route" = debian ]; then
        apt_ensure rustc-web cargo-web rust-web-src
    fi
    echo "$route"
}

# wasm_linker: a wasm linker for the Debian route: rustup's rust-lld where present, else Debian's wasm-ld.
wasm_linker() {
    local lld
    lld=$(ls "$HOME"/.rustup/toolchains/*/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld 2>/dev/null | head -1 || true)
    if [ -n "$lld" ]; then echo "$lld"; return; fi
    apt_ensure lld
    lld=$(ls /usr/bin/wasm-ld* /usr/lib/llvm-*/bin/wasm-ld 2>/dev/null | head -1 || true)
    [ -n "$lld" ] || die "no wasm linker found (rust-lld or wasm-ld)"
    echo "$lld"
}

# ensure_python_sdk: a virtualenv in target/py with the official SDRS, ECS and IMS SDKs; prints its python.
ensure_python_sdk() {
    local venv="$ROOT/target/py"
    if ! "$venv/bin/python" -c 'import huaweicloudsdksdrs, huaweicloudsdkecs, huaweicloudsdkims, prometheus_client' \
        >/dev/null 2>&1; then
        have python3 || apt_ensure python3
        python3 -m venv "$venv" >/dev/null 2>&1 || { apt_ensure python3-venv; python3 -m venv "$venv"; }
        say "pip install huaweicloudsdk{sdrs,ecs,ims}==3.1.219 (the official SDKs) and prometheus_client (its parser)"
        timeout 600 "$venv/bin/pip" install -q huaweicloudsdksdrs==3.1.219 huaweicloudsdkecs==3.1.219 \
            huaweicloudsdkims==3.1.219 prometheus_client==0.21.1 >&2
    fi
    echo "$venv/bin/python"
}

# free_port: an unused loopback port.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# on_exit COMMAND...: runs the command when the script exits, after those registered before it (one EXIT trap). A
# clean-up command's own status (a `wait` on a killed server is 143) never becomes the script's.
ON_EXIT=()
on_exit() {
    ON_EXIT+=("$*")
    trap 'status=$?; for command in "${ON_EXIT[@]}"; do eval "$command" || true; done; exit $status' EXIT
}

# ensure_test_postgres: the PostgreSQL the caller was given (SDRS_TEST_POSTGRES), or a throwaway one started now.
ensure_test_postgres() {
    if [ -z "${SDRS_TEST_POSTGRES:-}" ] || [ -z "${SDRS_TEST_POSTGRES_RESTART:-}" ] \
        || [ -z "${SDRS_TEST_POSTGRES_STOP:-}" ] || [ -z "${SDRS_TEST_POSTGRES_START:-}" ]; then
        start_test_postgres
    fi
}

# start_test_postgres: installs Debian's PostgreSQL where it is missing and starts a throwaway server (initdb into a
# temp dir under PG_PARENT, default /tmp; trust authentication, loopback only, a free port), stopped and removed when
# the calling script exits.
# PostgreSQL refuses to run as root, so as root it runs as the package's `postgres` user. Exports
# SDRS_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT (no database: each test makes its own) and
# SDRS_TEST_POSTGRES_RESTART, a command that restarts it (immediate shutdown, then crash recovery), and
# SDRS_TEST_POSTGRES_STOP / SDRS_TEST_POSTGRES_START, which stop it the same way and start it again.
start_test_postgres() {
    apt_ensure postgresql
    local bin dir port
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    [ -x "$bin/initdb" ] || die "no PostgreSQL binaries under /usr/lib/postgresql"
    dir=$(mktemp -d "${PG_PARENT:-/tmp}/sdrs-postgres.XXXXXX")
    port=$(free_port)
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        PG_AS=(runuser -u postgres --)
    else
        PG_AS=()
    fi
    PG_DIR=$dir PG_BIN=$bin
    "${PG_AS[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    test_postgres_tls "$dir"
    "${PG_AS[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
        || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    on_exit stop_test_postgres
    "${PG_AS[@]}" "$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -c "CREATE ROLE tlsonly LOGIN SUPERUSER" \
        || die "could not create the TLS-only test role"
    export SDRS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port"
    export SDRS_TEST_POSTGRES_CA="$dir/tls/ca.pem"
    # How the crash test restarts it under running replicas: an immediate shutdown, then crash recovery.
    local options="-o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300'"
    export SDRS_TEST_POSTGRES_RESTART="${PG_AS[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -m immediate -w -t 60 restart $options"
    export SDRS_TEST_POSTGRES_STOP="${PG_AS[*]} $bin/pg_ctl -D $dir/data -m immediate -w -t 60 stop"
    export SDRS_TEST_POSTGRES_START="${PG_AS[*]} $bin/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 start $options"
    say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests at 127.0.0.1:$port ($dir)"
}

# test_postgres_tls DIR: a throwaway CA and a server certificate for localhost and 127.0.0.1 under DIR/tls, TLS on in
# the cluster DIR/data, and the role `tlsonly` refused without TLS (pg_hba.conf), for the TLS test of the store.
test_postgres_tls() {
    local dir=$1
    apt_ensure openssl
    mkdir -p "$dir/tls"
    (
        cd "$dir/tls"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=sdrs test CA" -keyout ca.key -out ca.pem \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3 -extfile ext \
            -out server.pem 2>/dev/null
    ) || die "could not make the test certificates"
    chmod 600 "$dir/tls/server.key"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir/tls"
    printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$dir/tls/server.pem" "$dir/tls/server.key" \
        >>"$dir/data/postgresql.conf"
    local hba="$dir/data/pg_hba.conf"
    { printf 'hostnossl all tlsonly 127.0.0.1/32 reject\nhostnossl all tlsonly ::1/128 reject\n'
      printf 'hostssl all tlsonly 127.0.0.1/32 trust\nhostssl all tlsonly ::1/128 trust\n'
      cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
    [ "$(id -u)" -eq 0 ] && chown postgres "$hba"
    return 0
}

# stop_test_postgres: stops the server start_test_postgres started, and removes its files.
stop_test_postgres() {
    [ -n "${PG_DIR:-}" ] || return 0
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=
}

# wait_for_http URL: waits up to 60 s for the URL to answer.
wait_for_http() {
    for _ in $(seq 1 600); do
        if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$1" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    die "nothing answered at $1"
}

# wasm_target_dir ROUTE: where scripts/wasm-cargo puts wasm32 artefacts for that route (and SDRS_WASM_SMALL_STD).
wasm_target_dir() {
    local dir="$ROOT/target"
    [ "$1" = debian ] && dir="$dir/wasm-debian"
    [ "${SDRS_WASM_SMALL_STD:-0}" = 1 ] && dir="$dir/wasm-small-std"
    echo "$dir"
}

# small_std: exports what rebuilds std for size: the optimize_for_size feature of std, and panics that abort at
# once (no panic messages or formatting in the module; the rules do not panic on any input, which the tests check),
# and with them no source locations (file names in the module's data).
# Nightly-only options, enabled with RUSTC_BOOTSTRAP as the Debian route already must; needs std's sources.
small_std() {
    export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
}

# ensure_std_sources ROUTE: std's sources for small_std (rustup's rust-src, or Debian's rust-web-src); fails if absent.
ensure_std_sources() {
    if [ "$1" = debian ]; then
        apt_ensure rust-web-src
    else
        have rustup || return 1
        rustup component list --installed 2>/dev/null | grep -q '^rust-src' \
            || timeout 300 rustup component add rust-src >&2
        # std's own dependencies (its workspace has its own lock file), fetched now: Trunk builds offline, and on a
        # fresh machine they are not in the registry cache yet.
        RUSTC_BOOTSTRAP=1 timeout 300 cargo fetch -q \
            --manifest-path "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml" >&2
    fi
}

# ensure_wasm_bindgen: wasm-bindgen-cli at exactly the version of the wasm-bindgen crate.
WASM_BINDGEN_VERSION=0.2.130
ensure_wasm_bindgen() {
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
        say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
        # Not --locked: one of its pinned dependencies is missing from the registry mirror.
        timeout 1800 cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >&2
    fi
}

# ensure_node: Node.js 20 or later (playwright-core needs it) and npm. Debian 12 ships Node.js 18; then Node.js 20
# comes from the npm registry's node-linux-<arch> package into target/node, first on PATH for this script.
ensure_node() {
    have node && have npm || apt_ensure nodejs npm
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] && return 0
    local arch
    case "$(uname -m)" in
        x86_64) arch=x64 ;;
        aarch64) arch=arm64 ;;
        *) die "Node.js $(node --version) is older than 20 and no Node.js 20 package is known for $(uname -m)" ;;
    esac
    local bin="$ROOT/target/node/node_modules/node-linux-$arch/bin"
    if [ ! -x "$bin/node" ]; then
        say "Node.js $(node --version) is older than 20: npm install node-linux-$arch@20 into target/node"
        (mkdir -p "$ROOT/target/node" && cd "$ROOT/target/node" \
            && timeout 600 npm install --no-audit --no-fund --no-save "node-linux-$arch@20" >&2)
    fi
    export PATH="$bin:$PATH"
}

# ensure_web_tooling: Node.js, npm and web/node_modules (typescript, playwright-core, binaryen's wasm-opt).
ensure_web_tooling() {
    ensure_node
    if [ ! -x "$ROOT/web/node_modules/.bin/wasm-opt" ] || [ "$ROOT/web/package-lock.json" -nt "$ROOT/web/node_modules/.package-lock.json" ]; then
        say "npm ci (web tooling)"
        (cd "$ROOT/web" && timeout 600 npm ci --no-audit --no-fund >&2)
    fi
}

# ensure_chromium: Debian's Chromium for the browser tests (playwright-core drives it; no browser download).
ensure_chromium() {
    have chromium || apt_ensure chromium
}

WASM_OPT_FLAGS=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)

# ensure_trunk: Trunk 0.21.14 (0.22 needs rustc >= 1.96.1).
ensure_trunk() {
    if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
        say "cargo install trunk 0.21.14 (about 8 minutes on 2 cores, once)"
        timeout 3000 cargo install -q --locked trunk --version 0.21.14 >&2
    fi
}
