# Shared by scripts/run, scripts/test and scripts/db: sourced, never run on its own.
#
# Every ensure_* function installs one missing tool, from a package registry only (crates.io,
# npm, Debian), and does nothing when the right version is already there: a second run is fast.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

# One cargo target directory for every build and every clone of the project, outside the
# working tree: a fresh clone (CI) reuses what an earlier one compiled. Override at will.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/taskdeck/target}"

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs rustc 1.96
SQLX_CLI_VERSION=0.8.6      # matches the sqlx 0.8 line in Cargo.lock

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing system packages needs root; run as root or install sudo"
  fi
}

APT_UPDATED=""
ensure_apt() { # ensure_apt PACKAGE... : installs the Debian packages that are missing
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return 0
  step "Adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
}

# ensure_cargo_tool BINARY VERSION CRATE [cargo install flags...]
ensure_cargo_tool() {
  local bin="$1" version="$2" crate="$3"
  shift 3
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -qw -- "$version"; then
    return 0
  fi
  step "Installing $crate $version (cargo install; compiled once, then reused)"
  cargo install "$crate" --version "$version" "$@"
}

# The wasm-bindgen CLI must be exactly the wasm-bindgen version the crate pins with `=`.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = {[^}]*version = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml"
}

ensure_build_tools() {
  command -v cargo >/dev/null 2>&1 || die "Rust is required: install it with rustup (https://rustup.rs)"
  command -v npm >/dev/null 2>&1 || die "Node.js and npm are required"
  ensure_wasm_target
  # `--locked` keeps cargo-leptos on the dependency versions it was released with.
  ensure_cargo_tool cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-leptos --locked
  local wbg
  wbg="$(wasm_bindgen_version)"
  [ -n "$wbg" ] || die "could not read the pinned wasm-bindgen version from Cargo.toml"
  # No --locked: its lock file names a yanked dependency. Without this binary on PATH,
  # cargo-leptos would try to download one, which cannot work offline.
  ensure_cargo_tool wasm-bindgen "$wbg" wasm-bindgen-cli
  ensure_npm_packages
  # wasm-opt comes from the npm package binaryen (pinned in end2end/package-lock.json); Debian's
  # binaryen 108 produces a module that fails to hydrate, and cargo-leptos would otherwise try to
  # download one.
  command -v wasm-opt >/dev/null 2>&1 || die "wasm-opt missing after npm ci (end2end/node_modules/.bin)"
}

# Playwright and binaryen, exactly as locked. Skipped when node_modules matches the lock file.
ensure_npm_packages() {
  local lock="$ROOT/end2end/package-lock.json" stamp="$ROOT/end2end/node_modules/.taskdeck-lock"
  if [ -f "$stamp" ] && cmp -s "$lock" "$stamp"; then
    return 0
  fi
  step "Installing npm packages (end2end/)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$lock" "$stamp"
}

ensure_test_tools() {
  ensure_cargo_tool sqlx "$SQLX_CLI_VERSION" sqlx-cli --no-default-features --features postgres,rustls --locked
  # Playwright drives Debian's Chromium; `npx playwright install` would download a browser.
  ensure_apt chromium
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
}

# Reads KEY from the project's .env file (simple KEY=value lines), if any.
dotenv_get() {
  local key="$1" file="$ROOT/.env"
  [ -f "$file" ] || return 0
  sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*//p" "$file" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

random_hex() { # random_hex BYTES
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# A development JWT_SECRET, written without ever being on a command line (where `ps` shows it to
# every user of the machine): bash's own printf, into a file that is private from the start.
write_dotenv_with_secret() { # write_dotenv_with_secret SOURCE: .env from SOURCE's lines, with a secret
  local secret line written=""
  secret="$(random_hex 32)"
  (
    umask 077
    rm -f .env.new
    : >.env.new
    while IFS= read -r line || [ -n "$line" ]; do
      if [ "$line" = "JWT_SECRET=" ] && [ -z "$written" ]; then
        printf 'JWT_SECRET=%s\n' "$secret"
        written=1
      else
        printf '%s\n' "$line"
      fi
    done <"$1" >>.env.new
    [ -n "$written" ] || printf 'JWT_SECRET=%s\n' "$secret" >>.env.new
  )
  chmod 600 .env.new
  mv .env.new .env
}

SCHEMATHESIS_VERSION=4.32.5

# schemathesis (PyPI), pinned, in a virtual environment of the project's own (.local/venv).
ensure_schemathesis() {
  local venv="$ROOT/.local/venv"
  if [ -x "$venv/bin/st" ] && "$venv/bin/st" --version 2>/dev/null | grep -qw -- "$SCHEMATHESIS_VERSION"; then
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || ensure_apt python3
  python3 -m venv "$venv" 2>/dev/null || {
    ensure_apt python3-venv
    python3 -m venv "$venv"
  }
  step "Installing schemathesis $SCHEMATHESIS_VERSION (pip, into .local/venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
}
