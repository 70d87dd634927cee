#!/bin/sh
# Fills fuzz/corpus/<target> (gitignored) with the repository's own inputs of that kind plus
# the small seeds committed under fuzz/seeds/<target>. Run from anywhere; re-running adds
# nothing twice (files are named by content hash).
set -eu
cd "$(dirname "$0")/.."
put() { # target file...
    target=$1; shift
    mkdir -p "fuzz/corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "fuzz/corpus/$target/$(sha1sum "$f" | cut -c1-16)"
    done
}
put check $(find fixtures -name '*.json')
put config fuzz/seeds/config/*
put rule_file rules/builtin/*.toml $(find fixtures/rule-files -name '*.toml') fuzz/seeds/rule_file/*
put snapshot fixtures/demo/connections.json fuzz/seeds/snapshot/*
put map_file fuzz/seeds/map_file/*
put api_answers fixtures/demo/connections.json fuzz/seeds/api_answers/*
put catalog rules/catalog/*.toml
for t in check config rule_file snapshot map_file api_answers catalog; do
    echo "$t: $(ls "fuzz/corpus/$t" | wc -l) inputs"
done
