#!/usr/bin/env bash
# Regenerates the screen capture in README.md from the real binary: runs the
# pty harness (tests/e2e.rs, `readme_screen`), which writes docs/screen.txt,
# and splices it between the README's screen markers.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test e2e -- --ignored --exact readme_screen
python3 - <<'PY'
import pathlib, re
readme = pathlib.Path("README.md")
screen = pathlib.Path("docs/screen.txt").read_text()
block = "<!-- screen:start -->\n```text\n" + screen + "```\n<!-- screen:end -->"
text = re.sub(r"<!-- screen:start -->.*?<!-- screen:end -->", lambda _: block, readme.read_text(), flags=re.S)
readme.write_text(text)
PY
echo "README.md updated from docs/screen.txt"
