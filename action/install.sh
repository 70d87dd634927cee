#!/usr/bin/env bash
# Installs bplint for the GitHub Action (action.yml): the release binary for the runner's OS
# and architecture, checked against the release's SHA-256; or, when there is none to be had (no
# release of this version yet, a platform without one, a failed download), bplint built from the
# action's own source with cargo. Writes `path=<the binary>` to $GITHUB_OUTPUT and its folder to
# $GITHUB_PATH, so later steps can run `bplint` too.
#
# Settings (environment): BPLINT_VERSION (default: the version in the action's Cargo.toml),
# BPLINT_CARGO_FALLBACK (true/false, default true), BPLINT_RELEASE_URL (where releases are
# downloaded from; tests point it at a folder). The runner sets RUNNER_OS, RUNNER_ARCH,
# RUNNER_TEMP, GITHUB_ACTION_PATH, GITHUB_OUTPUT and GITHUB_PATH. Written for bash 3.2 too
# (macOS).
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
action_dir=${action_dir//\\//}
release_url=${BPLINT_RELEASE_URL:-https://github.com/bplint/bplint/releases/download}
fallback=${BPLINT_CARGO_FALLBACK:-true}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
temp=${temp//\\//}

version=${BPLINT_VERSION:-}
version=${version#v}
if [[ -z $version ]]; then
  version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n 1)
fi
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "error: the bplint version must look like 0.1.0 (input \`version\`)" >&2
  exit 1
fi
case $fallback in
  true | false) ;;
  *)
    echo "error: cargo-fallback must be true or false" >&2
    exit 1
    ;;
esac

os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
exe=""
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64)
    target=x86_64-pc-windows-msvc
    exe=.exe
    ;;
  *) target="" ;;
esac

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# https only (file: for the tests' local releases); redirects to the release CDN are followed.
download() {
  curl --fail --silent --show-error --location --retry 3 --proto '=https,file' \
    --output "$2" "$1"
}

installed=""

install_release() {
  if [[ -z $target ]]; then
    echo "note: bplint has no release binary for $os/$arch"
    return 1
  fi
  local archive="bplint-$target.tar.gz"
  local url="$release_url/v$version/$archive"
  local work
  work=$(mktemp -d "$temp/bplint-download.XXXXXX")
  if ! download "$url" "$work/$archive" || ! download "$url.sha256" "$work/$archive.sha256"; then
    echo "note: could not download $url (and its .sha256)"
    return 1
  fi
  local want have
  want=$(cut -d ' ' -f 1 <"$work/$archive.sha256")
  have=$(sha256_of "$work/$archive")
  if [[ $want != "$have" ]]; then
    # A download that is not what the release published is no reason to build instead: stop.
    echo "error: $archive does not match its published SHA-256 (got $have, expected $want); not installing it" >&2
    exit 1
  fi
  # Relative names: GNU tar (Git Bash) takes `D:/...` for a remote host.
  (cd "$work" && tar -xzf "$archive")
  local dir="$temp/bplint-$version-$target"
  mkdir -p "$dir"
  mv "$work/bplint-$target/bplint$exe" "$dir/bplint$exe"
  chmod +x "$dir/bplint$exe"
  installed="$dir/bplint$exe"
  echo "installed the bplint $version release for $target (SHA-256 $have)"
}

install_with_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: no bplint release binary to install, and no cargo to build one (set up Rust, or use a released version)" >&2
    exit 1
  fi
  local root="$temp/bplint-cargo"
  echo "building bplint from $action_dir with cargo (a few minutes)"
  cargo install --locked --path "$action_dir" --root "$root"
  installed="$root/bin/bplint$exe"
}

if ! install_release; then
  if [[ $fallback != true ]]; then
    echo "error: no bplint $version release binary for this runner, and cargo-fallback is false" >&2
    exit 1
  fi
  install_with_cargo
fi

"$installed" --version
echo "path=$installed" >>"${GITHUB_OUTPUT:-/dev/null}"
if [[ -n ${GITHUB_PATH:-} ]]; then
  dirname "$installed" >>"$GITHUB_PATH"
fi
