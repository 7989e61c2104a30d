"""The nn examples run as scripts: the nn version of the seed network prints the manual
version's loss curve exactly, and the digits example reaches its accuracy and reloads its
checkpoint."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_layer_net_nn_prints_the_manual_loss_curve() -> None:
    manual = _run("two_layer_net.py", "--epochs", "60", "--seed", "3")
    with_nn = _run("two_layer_net_nn.py", "--epochs", "60", "--seed", "3")
    curve = [line for line in with_nn.splitlines() if line.startswith("Epoch:")]
    assert len(curve) == 6
    assert curve == manual.splitlines()
    assert "(0): Linear(in_features=3, out_features=32, bias=True)" in with_nn


def test_digits_mlp_reaches_95_percent_and_cnn_reloads(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    out = _run("digits.py", "--model", "mlp", "--quiet", "--checkpoint-dir", str(tmp_path))
    acc = float(re.search(r"mlp: held-out accuracy ([\d.]+)%", out).group(1))  # type: ignore[union-attr]
    assert acc >= 95.0
    assert "reloaded into a fresh model" in out
    assert (tmp_path / "digits_mlp.safetensors").exists()
    out = _run(
        "digits.py", "--model", "cnn", "--epochs", "2", "--quiet", "--checkpoint-dir", str(tmp_path)
    )
    assert "cnn: checkpoint" in out and (tmp_path / "digits_cnn.safetensors").exists()


def test_char_gpt_quick_loss_falls_and_samples() -> None:
    out = _run("char_gpt.py", "--quick", "--steps", "40")
    losses = [float(m) for m in re.findall(r"loss ([\d.]+)", out)]
    assert len(losses) >= 5 and losses[-1] < losses[0] - 1.0
    assert "sample:\ndef " in out


def test_lstm_forecast_quick_run_learns() -> None:
    out = _run("lstm_forecast.py", "--quick")
    losses = [float(v) for v in re.findall(r"train mse ([\d.]+)", out)]
    assert len(losses) == 20 and losses[-1] < 0.6 * losses[0]
    test, naive = re.search(
        r"test mse ([\d.]+) \(naive last-value forecast ([\d.]+)\)", out
    ).groups()  # type: ignore[union-attr]
    assert float(test) < float(naive)
