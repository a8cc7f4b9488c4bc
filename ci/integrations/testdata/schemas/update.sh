#!/usr/bin/env bash
# Fetches the schemas in this directory again, from the packages README.md
# names (change the versions there and here together). Needs npm, node, go.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent @action-validator/core@0.6.0 gitlab-ci-local@4.75.1 >/dev/null)
tar -xzf "$work/action-validator-core-0.6.0.tgz" -C "$work" package/action_validator_bg.wasm
node extract.js "$work/package/action_validator_bg.wasm" '"$id": "https://json.schemastore.org/github-action.json"' >github-action.json
tar -xzf "$work/gitlab-ci-local-4.75.1.tgz" -C "$work" package/dist/index.js
node extract.js "$work/package/dist/index.js" '{$schema:"http://json-schema.org/draft-07/schema#",$id:"https://gitlab.com/.gitlab-ci.yml"' >gitlab-ci.json

dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json github.com/tektoncd/pipeline@v1.10.1 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
cp "$dir/config/300-crds/300-task.yaml" tekton-task-crd.yaml
chmod 0644 tekton-task-crd.yaml
