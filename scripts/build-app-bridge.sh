#!/usr/bin/env bash
# Regenerate tests/browser/app-bridge.bundle.js: the AppBridge of @modelcontextprotocol/ext-apps,
# bundled with esbuild into one classic script for the browser tests' host page (bridge-host.html).
#
# Needs Node.js 20+ and npm. The bundle is committed, so CI and the test suite never need Node.
# To move to a newer ext-apps: edit the pinned versions in tests/browser/app-bridge/package.json,
# delete its package-lock.json, run this script, run the browser tests, and commit all three files.
set -euo pipefail
cd "$(dirname "$0")/../tests/browser/app-bridge"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
version=$(node -p 'require("./node_modules/@modelcontextprotocol/ext-apps/package.json").version')
npx --no-install esbuild entry.js \
  --bundle --format=iife --global-name=ExtApps --platform=browser --target=es2022 --minify \
  --legal-comments=eof \
  --banner:js="/* @modelcontextprotocol/ext-apps ${version} AppBridge, bundled by scripts/build-app-bridge.sh. Do not edit. */" \
  --outfile=../app-bridge.bundle.js
ls -l ../app-bridge.bundle.js
