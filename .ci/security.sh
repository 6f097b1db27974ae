#!/usr/bin/env bash
# Static security checks and dependency audit (called by .ci/run; runnable alone).
#
# 1. bandit on hub/ and plugins/: fails on any HIGH-severity finding (-lll), whatever its
#    confidence. Medium and low findings are printed for information only. A false positive
#    is silenced where it occurs, with the reason: `# nosec B324 - not a security hash`.
# 2. pip-audit of the installed environment against PyPI's vulnerability data: fails when a
#    known vulnerability affects an installed package. When the service does not answer
#    (offline machine, timeout, mirror without vulnerability data) the audit is skipped with
#    a message: it must never make CI flaky.
#
# The Python environment is .venv/ when it exists (as .ci/run makes it), else the one of
# `python3` on PATH; HUB_PYTHON overrides both.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${HUB_PYTHON:-}" ]; then
  PY="$HUB_PYTHON"
elif [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
else
  PY="$(command -v python3)"
fi
started=$(date +%s)

echo "--- bandit (high severity fails) on hub/ plugins/"
"$PY" -m bandit --version | head -n1
# Information: everything of medium severity and up, never failing.
"$PY" -m bandit -q -r hub plugins -ll --format custom \
  --msg-template '  info: {relpath}:{line} {test_id} [{severity}/{confidence}] {msg}' \
  | grep -v '\[HIGH/' || true
if ! "$PY" -m bandit -q -r hub plugins -lll --format custom \
     --msg-template '  HIGH: {relpath}:{line} {test_id} [{severity}/{confidence}] {msg}'; then
  echo "bandit: high-severity findings above. Fix them, or mark a proven false positive"
  echo "with '# nosec <test id> - <why>' on that line."
  exit 1
fi
echo "bandit: no high-severity finding"

echo "--- pip-audit (known vulnerabilities of installed packages)"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
set +e
timeout 120 "$PY" -m pip_audit --skip-editable --progress-spinner off --format json \
  --output "$report" >/dev/null 2>"$report.err"
status=$?
set -e
if [ "$status" -eq 124 ]; then
  echo "pip-audit: SKIPPED, the vulnerability service did not answer within 120 s"
  rm -f "$report.err"
  exit 0
fi
"$PY" - "$report" "$status" "$report.err" <<'EOF'
import json
import sys
from pathlib import Path

report, status, errors = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
error_text = errors.read_text(errors="replace") if errors.exists() else ""
errors.unlink(missing_ok=True)
try:
    data = json.loads(report.read_text() or "null")
except json.JSONDecodeError:
    data = None
if not isinstance(data, dict):
    tail = "\n".join(error_text.strip().splitlines()[-3:])
    print(f"pip-audit: SKIPPED, no answer from the vulnerability service (exit {status}):")
    print(f"  {tail}")
    sys.exit(0)
dependencies = data.get("dependencies", [])
audited = [d for d in dependencies if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
if not audited:
    print(f"pip-audit: SKIPPED, the service could audit none of the {len(dependencies)} "
          "packages (a mirror without vulnerability data, or no network)")
    sys.exit(0)
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
        print(f"  VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
skipped = len(dependencies) - len(audited)
if vulnerable:
    print(f"pip-audit: {len(vulnerable)} vulnerable package(s); upgrade them (pyproject.toml)")
    sys.exit(1)
print(f"pip-audit: {len(audited)} packages audited, no known vulnerability"
      + (f" ({skipped} could not be audited)" if skipped else ""))
EOF
echo "security checks done in $(( $(date +%s) - started )) s"
