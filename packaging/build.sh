#!/usr/bin/env bash
# Build the Linux one-folder bundle of DoseTrail with PyInstaller and
# smoke-test the frozen program. Runs outside the normal test suite.
#
#   packaging/build.sh            # build + smoke tests
#   SKIP_BUILD=1 packaging/build.sh   # smoke-test an existing dist/dosetrail
#
# Needs: the project installed with the `packaging` extra (pyinstaller) in the
# Python given by $PYTHON (default: python3). Output: dist/dosetrail/ and
# dist/dosetrail-<version>-linux-<arch>.tar.gz.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
VERSION=$("$PY" -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
APP="$ROOT/dist/dosetrail/dosetrail"
t0=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'SMOKE TEST FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- build
if [ -z "${SKIP_BUILD:-}" ]; then
  if [ ! -f resources/demo/demo-studies.zip ]; then
    say "demo archive missing: building it"
    "$PY" resources/demo/build_demo.py
  fi
  say "PyInstaller $("$PY" -m PyInstaller --version)"
  "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
      --distpath dist --workpath build/pyinstaller packaging/dosetrail.spec
fi
t_build=$(( $(date +%s) - t0 ))
[ -x "$APP" ] || fail "no executable at $APP"
size=$(du -sh dist/dosetrail | cut -f1)
say "bundle: dist/dosetrail ($size), build took ${t_build} s"

# ------------------------------------------------------- smoke tests
SMOKE=$(mktemp -d "${TMPDIR:-/tmp}/dosetrail-smoke.XXXXXX")
trap 'rm -rf "$SMOKE"' EXIT
export DOSETRAIL_HOME="$SMOKE/home"
export QT_QPA_PLATFORM=offscreen
t1=$(date +%s)

say "--version"
"$APP" --version | tee "$SMOKE/version.txt"
grep -q "DoseTrail $VERSION" "$SMOKE/version.txt" || fail "--version does not name DoseTrail $VERSION"
grep -q "^pydicom .*pylibjpeg" "$SMOKE/version.txt" || fail "--version lists no pixel decoders"

say "import a ZIP archive (the bundled demo studies; spawn worker processes)"
"$APP" import resources/demo/demo-studies.zip --json > "$SMOKE/import.json" \
  || fail "import of the demo archive exited with $?"
"$PY" - "$SMOKE/import.json" <<'EOF' || fail "import summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "dosetrail.import/1", s
assert s["instances_imported"] >= 50 and not s["files_rejected"], s
print(f"imported {s['instances_imported']} instances, {len(s['patients_touched'])} patients")
EOF

say "import a folder of pydicom test files (other transfer syntaxes, JPEG)"
mkdir -p "$SMOKE/folder"
"$PY" - "$SMOKE/folder" <<'EOF'
import shutil, sys
from pydicom.data import get_testdata_file
for name in ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm"):
    path = get_testdata_file(name, download=False)
    if path:
        shutil.copy(path, sys.argv[1])
EOF
set +e
"$APP" import "$SMOKE/folder" --json > "$SMOKE/import2.json"
rc=$?
set -e
[ "$rc" -le 1 ] || fail "folder import exited with $rc"
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["instances_imported"]>=1, s; print(s["instances_imported"], "imported,", len(s["files_rejected"]), "rejected")' "$SMOKE/import2.json" \
  || fail "folder import summary"

say "patients, export (JSON, CSV, FHIR) and the PDF report"
"$APP" patients --json > "$SMOKE/patients.json"
"$APP" export --format json -o "$SMOKE/export.json"
"$APP" export --format csv -o "$SMOKE/export.csv"
"$APP" export --format fhir -o "$SMOKE/export.fhir.json"
KEY=$("$PY" - "$SMOKE/export.json" "$SMOKE/export.fhir.json" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["schema"] == "dosetrail.export/1"
studies = [s for p in e["patients"] for s in p["studies"]]
estimated = [s for s in studies if s["ionising"] and s["effective_dose_msv"]]
assert len(e["patients"]) >= 4 and len(studies) >= 9 and len(estimated) >= 5, (len(e["patients"]), len(studies))
f = json.load(open(sys.argv[2]))
assert f["resourceType"] == "Bundle" and any(x["resource"]["resourceType"] == "Observation" for x in f["entry"])
best = max(e["patients"], key=lambda p: len(p["studies"]))
print(best["patient_key"])
EOF
) || fail "export content"
"$APP" report "$KEY" -o "$SMOKE/report.pdf"
head -c 5 "$SMOKE/report.pdf" | grep -q '%PDF-' || fail "report is not a PDF"
echo "report: $(wc -c < "$SMOKE/report.pdf") bytes for patient $KEY"

say "the window opens offscreen and closes itself (DOSETRAIL_SMOKE_EXIT_MS)"
# gui/app.py quits the event loop DOSETRAIL_SMOKE_EXIT_MS after the window is
# shown. If a build lacks that hook, the window is left open for GUI_WAIT
# seconds and then terminated: no crash and no traceback is the pass criterion.
GUI_WAIT=${GUI_WAIT:-25}
set +e
DOSETRAIL_SMOKE_EXIT_MS=3000 timeout "$GUI_WAIT" "$APP" gui > "$SMOKE/gui.log" 2>&1
rc=$?
set -e
cat "$SMOKE/gui.log"
if grep -qi "traceback\|error" "$SMOKE/gui.log"; then
  fail "error output while the window was open"
elif [ "$rc" -eq 124 ]; then
  echo "WARNING: the window did not close itself (DOSETRAIL_SMOKE_EXIT_MS not honoured);"
  echo "         it ran ${GUI_WAIT} s without error and was terminated"
elif [ "$rc" -ne 0 ]; then
  fail "the window exited with status $rc"
else
  echo "window opened and closed itself: exit 0"
fi

t_smoke=$(( $(date +%s) - t1 ))
say "package"
arch=$(uname -m)
tar -C dist -czf "dist/dosetrail-$VERSION-linux-$arch.tar.gz" dosetrail
ls -lh "dist/dosetrail-$VERSION-linux-$arch.tar.gz"
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net packaging/linux/io.dosetrail.DoseTrail.metainfo.xml
fi
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate packaging/linux/dosetrail.desktop
fi
say "OK: build ${t_build} s, smoke tests ${t_smoke} s, bundle $size"
