#!/usr/bin/env sh
# Copy the front-end packages installed by npm into static/vendor (served locally, never from a CDN).
set -eu
cd "$(dirname "$0")/.."
V=safeserve/static/vendor
rm -rf "$V" && mkdir -p "$V/bootstrap" "$V/bootstrap-icons" "$V/htmx" "$V/echarts" "$V/swagger-ui"
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js "$V/bootstrap/"
cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts "$V/bootstrap-icons/"
cp node_modules/htmx.org/dist/htmx.min.js "$V/htmx/"
cp node_modules/echarts/dist/echarts.min.js "$V/echarts/"
cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
   node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js node_modules/swagger-ui-dist/favicon-32x32.png "$V/swagger-ui/"
# Source maps beside the files that name them: `collectstatic` (hashed names, production) follows
# every sourceMappingURL and stops at a missing one.
for f in $(grep -rl "sourceMappingURL=" "$V" --include=*.css --include=*.js); do
  map=$(sed -n 's/.*sourceMappingURL=\([^ *]*\).*/\1/p' "$f" | tail -1)
  src=$(find node_modules -path "*/$(basename "$map")" 2>/dev/null | head -1)
  if [ -n "$src" ]; then cp "$src" "$(dirname "$f")/"; else sed -i '/sourceMappingURL=/d' "$f"; fi
done
echo "front-end assets copied to $V"
