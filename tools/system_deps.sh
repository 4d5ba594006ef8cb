#!/usr/bin/env bash
# Make sure the system programs a make target needs are here: npm (the site's MathJax and fonts come
# from the npm registry) and Chromium (the browser tests). Missing ones are installed with Debian's
# packages when that can be done without asking (root, or sudo without a password); otherwise this
# stops at once with one line that says what to run.
#
#   tools/system_deps.sh npm chromium
set -euo pipefail

need_install=()
for program in "$@"; do
  case "$program" in
    npm)
      command -v npm >/dev/null 2>&1 || need_install+=(npm)
      ;;
    chromium)
      if [ -n "${TP8_CHROMIUM:-}" ]; then
        if [ ! -x "$TP8_CHROMIUM" ] && ! command -v "$TP8_CHROMIUM" >/dev/null 2>&1; then
          echo "tp8: TP8_CHROMIUM=$TP8_CHROMIUM is not an executable; point it at Chromium or Chrome, or unset it" >&2
          exit 1
        fi
      elif [ -z "${TP8_SKIP_E2E:-}" ] || [ "${TP8_SKIP_E2E}" = "0" ]; then
        command -v chromium >/dev/null 2>&1 || need_install+=(chromium)
      fi
      ;;
    *)
      echo "tp8: system_deps.sh does not know '$program'" >&2
      exit 2
      ;;
  esac
done
[ ${#need_install[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "tp8: missing ${need_install[*]}: run 'sudo apt-get install ${need_install[*]}' (for Chromium you may instead set TP8_CHROMIUM, or TP8_SKIP_E2E=1 to skip the browser tests)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "tp8: missing ${need_install[*]} and no apt-get here: install ${need_install[*]} with your system's package manager" >&2
  exit 1
fi
echo "tp8: installing ${need_install[*]} (Debian packages)…"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need_install[@]}" >/dev/null
