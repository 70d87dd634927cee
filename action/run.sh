#!/usr/bin/env bash
# Runs `bplint check` for the GitHub Action (action.yml) with its inputs, which arrive as
# INPUT_* variables and only ever become separate arguments (never code). Records bplint's exit
# code as the step output `exit-code` (and `sarif-file` when one was written) and exits 0, so
# that the SARIF upload runs on findings too; the action's last step exits with the code.
# Written for bash 3.2 too (macOS).
set -euo pipefail

bplint=${BPLINT:-bplint}
output=${GITHUB_OUTPUT:-/dev/null}

# The value of a true/false input; anything else is a mistake worth stopping for.
flag() {
  case $2 in
    true | True | TRUE) return 0 ;;
    false | False | FALSE | "") return 1 ;;
    *)
      echo "error: input \`$1\` must be true or false" >&2
      exit 2
      ;;
  esac
}

args=(check)
if [[ -n ${INPUT_CONNECTIONS:-} ]]; then
  args+=(--connections "$INPUT_CONNECTIONS")
fi
if flag online "${INPUT_ONLINE:-false}"; then
  args+=(--online)
fi
if [[ -n ${INPUT_TEAM:-} ]]; then
  args+=(--team "$INPUT_TEAM")
fi
if [[ -n ${INPUT_ZONE:-} ]]; then
  args+=(--zone "$INPUT_ZONE")
fi
if [[ -n ${INPUT_FAIL_ON:-} ]]; then
  args+=(--fail-on "$INPUT_FAIL_ON")
fi
if [[ -n ${INPUT_BASELINE:-} ]]; then
  args+=(--baseline "$INPUT_BASELINE")
fi

sarif_file=""
if flag upload-sarif "${INPUT_UPLOAD_SARIF:-false}"; then
  sarif_file=${INPUT_SARIF_FILE:-bplint.sarif}
  if [[ $sarif_file == *$'\n'* || $sarif_file == *$'\r'* ]]; then
    echo "error: input \`sarif-file\` must be one line" >&2
    exit 2
  fi
  args+=(--format sarif --output "$sarif_file")
else
  args+=(--format "${INPUT_FORMAT:-github}")
fi

# Extra arguments: split on whitespace, no quoting, no expansion.
extra=()
read -r -a extra <<<"${INPUT_ARGS:-}" || true
args+=(${extra[@]+"${extra[@]}"})

# Paths: one per line when there are several lines, else separated by whitespace; after `--`,
# so a path is never taken for an option.
paths=()
if [[ ${INPUT_PATHS:-} == *$'\n'* ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    if [[ -n $line ]]; then
      paths+=("$line")
    fi
  done <<<"$INPUT_PATHS"
else
  read -r -a paths <<<"${INPUT_PATHS:-}" || true
fi
# None (paths: "") leaves bplint's default, `.`, and room for `--team-scenarios` in args.
if [[ ${#paths[@]} -gt 0 ]]; then
  args+=(-- "${paths[@]}")
fi

# The command as run (the token is only ever in the environment, never an argument).
printf '+ bplint'
printf ' %q' "${args[@]}"
printf '\n'

set +e
"$bplint" "${args[@]}"
code=$?
set -e

echo "exit-code=$code" >>"$output"
if [[ -n $sarif_file && -f $sarif_file ]]; then
  echo "sarif-file=$sarif_file" >>"$output"
fi
case $code in
  0) meaning="no findings at or above fail-on" ;;
  1) meaning="findings at or above fail-on" ;;
  *) meaning="something could not be checked" ;;
esac
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  echo "bplint check: exit $code ($meaning)" >>"$GITHUB_STEP_SUMMARY"
fi
echo "bplint check: exit $code ($meaning)"
