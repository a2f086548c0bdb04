"""The consumer script (tests/consumer/python, the README's Python
snippet) runs against the package under test."""

import os
import pathlib
import subprocess
import sys

SOURCE = pathlib.Path(os.environ.get("RUNJOURNAL_SOURCE_DIR", pathlib.Path(__file__).parents[3]))


def test_the_consumer_script_runs_and_checks_its_run(tmp_path):
    script = SOURCE / "tests" / "consumer" / "python" / "consumer.py"
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "consumer.journal")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(": ok")
