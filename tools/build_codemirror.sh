#!/usr/bin/env bash
# Rebuild the lab's code editor: CodeMirror 6 (npm, versions pinned in tools/codemirror/package-lock.json)
# bundled by esbuild into ONE minified file, with the licences of every bundled package beside it:
#   src/posenc/web/static/vendor/codemirror.min.js
#   src/posenc/web/static/vendor/codemirror.LICENSES.md
# Needs node and npm (network to the npm registry only for `npm ci`). Run from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")/codemirror" && pwd)"
out="$(cd "$here/../../src/posenc/web/static" && pwd)/vendor"
mkdir -p "$out"
cd "$here"
npm ci --no-audit --no-fund
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=none --metafile=meta.json --outfile="$out/codemirror.min.js"
{
  echo "# Licences of the code bundled in codemirror.min.js"
  echo
  echo "Built by tools/build_codemirror.sh from tools/codemirror/entry.js with esbuild; the packages below"
  echo "are every package the bundle contains (esbuild's metafile), at the versions of"
  echo "tools/codemirror/package-lock.json."
  for dir in $(node -e '
    const inputs = Object.keys(require("./meta.json").inputs);
    const dirs = inputs.map((p) => p.match(/^node_modules\/(@[^/]+\/)?[^/]+/)).filter(Boolean).map((m) => m[0]);
    console.log([...new Set(dirs)].sort().join("\n"));'); do
    name="${dir#node_modules/}"
    version="$(node -p "require('./$dir/package.json').version")"
    licence="$(node -p "require('./$dir/package.json').license")"
    echo
    echo "## $name $version ($licence)"
    echo
    file="$(ls "$dir" | grep -i -E '^(license|licence|copying)' | head -1 || true)"
    if [ -n "$file" ]; then
      echo '```'
      cat "$dir/$file"
      echo '```'
    else
      echo "(the package ships no licence file; its package.json says $licence)"
    fi
  done
} > "$out/codemirror.LICENSES.md"
rm -f meta.json
ls -l "$out/codemirror.min.js" "$out/codemirror.LICENSES.md"
