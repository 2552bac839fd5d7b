"""The bootstrap scripts: what `make test` needs gets installed or named, and nothing a clone does can
break another clone's run on the same machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_with_path(script: str, bin_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(ROOT / "scripts" / script)], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/root")}, timeout=60)


def test_without_node_and_without_root_the_bootstrap_names_what_to_install(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text("#!/bin/bash\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    result = run_with_path("ensure-node.sh", bin_dir, tmp_path)
    assert result.returncode == 1
    assert "apt-get install nodejs npm" in result.stderr


def test_with_node_present_the_bootstrap_does_nothing(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("node", "npm"):
        (bin_dir / tool).write_text("#!/bin/bash\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    result = run_with_path("ensure-node.sh", bin_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == [bin_dir]  # no log, no stamp: nothing was installed


def test_the_browser_bootstrap_writes_only_inside_the_clone_and_links_atomically() -> None:
    script = (ROOT / "scripts" / "ensure-browser.sh").read_text()
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))
    assert "/tmp" not in code, "a fixed file in the system's temp folder is shared by every clone"
    assert "ln -sf" not in code, "replacing a shared link must be atomic (ln -s to a new name, then mv -T)"
    assert "mv -Tf" in code
