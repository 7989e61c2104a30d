"""The differential fuzzer against PyTorch (README.md here)."""
