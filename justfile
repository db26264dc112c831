# Affianca — the two commands that matter: `just run` and `just test`.

set shell := ["bash", "-euo", "pipefail", "-c"]

wasm_bindgen_version := "0.2.130"
trunk_version := "0.21.14"
schemathesis_version := "4.32.5"

# List the recipes.
default:
    @just --list

# Build the web client and the server, then start on http://127.0.0.1:8080 with SQLite and demo data
# (the demo accounts and a region-scale dataset: requests, activities, file registers; ~15 s the first time).
run: web
    cargo build --release -p affianca
    ./target/release/affianca seed-demo --scale region
    AFFIANCA_DEMO=1 ./target/release/affianca serve

# The whole suite: formatting, lints, unit and API tests on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set), browser test.
test: web lint
    env -u TEST_DATABASE_URL cargo test --workspace --exclude affianca-web
    cargo test -p affianca-web
    if [ -n "${TEST_DATABASE_URL:-}" ]; then cargo test -p affianca-tests --test api; else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

# Formatting and clippy (server, tests and the WASM client), warnings are errors.
lint: tools
    cargo fmt --all -- --check
    cargo clippy --workspace --exclude affianca-web --all-targets -- -D warnings
    cargo clippy -p affianca-web -p affianca-domain --target wasm32-unknown-unknown -- -D warnings

# Build the browser client (release, offline) into crates/web/dist.
web: tools
    cd crates/web && npm ci --no-audit --no-fund --loglevel=error
    cd crates/web && PATH="$PWD/node_modules/.bin:$PATH" trunk build --release

# Install the build tools a fresh machine lacks (wasm32 target, trunk, wasm-bindgen-cli, schemathesis in target/tools/venv); quick when present.
tools:
    rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    command -v trunk >/dev/null && trunk --version | grep -q "{{trunk_version}}" || cargo install trunk --version {{trunk_version}} --locked
    command -v wasm-bindgen >/dev/null && wasm-bindgen --version | grep -q "{{wasm_bindgen_version}}" || cargo install wasm-bindgen-cli --version {{wasm_bindgen_version}}
    test -x target/tools/venv/bin/schemathesis && target/tools/venv/bin/schemathesis --version | grep -q "{{schemathesis_version}}" || (python3 -m venv target/tools/venv && target/tools/venv/bin/pip install -q --disable-pip-version-check schemathesis=={{schemathesis_version}})

# Regenerate the committed OpenAPI document from the handlers.
openapi:
    cargo run -q -p affianca --bin affianca -- openapi > openapi/openapi.json

# Benchmarks (release build, SQLite, wrk on this machine); writes BENCHMARKS.md.
bench: web
    cargo build --release -p affianca
    bash tests/bench/run.sh

# Check that the shared domain crate still builds for the browser.
check-wasm:
    cargo check -p affianca-domain --target wasm32-unknown-unknown

# Fuzz the register readers (CSV, XLSX) and the period, ISTAT code and e-mail parsers, `secs` seconds each (nightly + cargo-fuzz; not in CI).
fuzz secs="60":
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    cd fuzz && for t in register_csv period istat_code email; do cargo +nightly fuzz run "$t" -- -max_total_time={{secs}} -rss_limit_mb=2048; done
    cd fuzz && cargo +nightly fuzz run --features xlsx register_xlsx -- -max_total_time={{secs}} -rss_limit_mb=2048 -max_len=1048576
